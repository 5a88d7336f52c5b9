_base_ = ['../_base_/depth/pspnet_r50_nyuv2_depth.py', '../_base_/backbones/byol.py']
model = dict(backbone={{_base_.ssl_backbone}})
