_base_ = ['../_base_/det/faster-rcnn_r50_fpn_voc0712_finetune.py', '../_base_/backbones/supervised.py']
model = dict(backbone={{_base_.ssl_backbone}}, data_preprocessor={{_base_.ssl_preprocessor}})
