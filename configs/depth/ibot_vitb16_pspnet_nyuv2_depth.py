_base_ = ['../_base_/depth/pspnet_vit_nyuv2_depth.py', '../_base_/backbones/ibot_vitb16.py']
model = dict(backbone={{_base_.ssl_backbone}},
             decode_head=dict(in_channels=[768] * 4))
