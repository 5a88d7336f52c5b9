_base_ = ['../_base_/normals/pspnet_vit_nyuv2.py', '../_base_/backbones/dinov2_vits14_reg4.py']
model = dict(backbone={{_base_.ssl_backbone}},
             decode_head=dict(in_channels=[384] * 4))
