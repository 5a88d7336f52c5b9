_base_ = ['../_base_/cls/finetune_voc2007.py', '../_base_/backbones/simclrv2.py']
model = dict(backbone={{_base_.ssl_backbone}}, data_preprocessor={{_base_.ssl_preprocessor}})
