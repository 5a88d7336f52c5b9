_base_ = ['../_base_/normals/pspnet_r50_nyuv2.py', '../_base_/backbones/byol.py']
model = dict(backbone={{_base_.ssl_backbone}})
