_base_ = ['../_base_/depth/pspnet_vit768_nyuv2_depth.py', '../_base_/backbones/dino_vitb16.py']
model = dict(backbone={{_base_.ssl_backbone}})
