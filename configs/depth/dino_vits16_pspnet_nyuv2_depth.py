_base_ = ['../_base_/depth/pspnet_vit_nyuv2_depth.py', '../_base_/backbones/dino_vits16.py']
model = dict(backbone={{_base_.ssl_backbone}},
             decode_head=dict(in_channels=[384] * 4))
