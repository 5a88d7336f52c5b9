_base_ = ['../_base_/cls/finetune_cifar10.py', '../_base_/backbones/pclv1.py']
model = dict(backbone={{_base_.ssl_backbone}}, data_preprocessor={{_base_.ssl_preprocessor}})
