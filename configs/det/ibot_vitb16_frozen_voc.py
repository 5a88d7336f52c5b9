_base_ = ['../_base_/det/faster-rcnn_vit16_simplefpn_voc0712_frozen.py', '../_base_/backbones/ibot_vitb16.py']
model = dict(backbone={{_base_.ssl_backbone}}, data_preprocessor={{_base_.ssl_preprocessor}},
             neck=dict(in_channels=768))
