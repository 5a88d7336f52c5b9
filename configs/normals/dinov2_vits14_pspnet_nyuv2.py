_base_ = ['../_base_/normals/pspnet_vit384_nyuv2.py', '../_base_/backbones/dinov2_vits14.py']
model = dict(backbone={{_base_.ssl_backbone}})
