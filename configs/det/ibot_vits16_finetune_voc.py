_base_ = ['../_base_/det/faster-rcnn_vit16_simplefpn_voc0712_finetune.py', '../_base_/backbones/ibot_vits16.py']
model = dict(backbone={{_base_.ssl_backbone}}, data_preprocessor={{_base_.ssl_preprocessor}},
             neck=dict(in_channels=384))
