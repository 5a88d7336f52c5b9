_base_ = ['../_base_/depth/pspnet_vit768_nyuv2_depth.py', '../_base_/backbones/mocov3_vitb.py']
model = dict(backbone={{_base_.ssl_backbone}})
