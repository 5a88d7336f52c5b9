_base_ = ['../_base_/normals/pspnet_vit768_nyuv2.py', '../_base_/backbones/dinov2_vitb14_reg4.py']
model = dict(backbone={{_base_.ssl_backbone}})
