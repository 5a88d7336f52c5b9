_base_ = ['../_base_/normals/pspnet_vit768_nyuv2.py', '../_base_/backbones/ibot_vitb16.py']
model = dict(backbone={{_base_.ssl_backbone}})
