_base_ = ['../_base_/normals/pspnet_vit_nyuv2.py', '../_base_/backbones/dino_vitb16.py']
model = dict(backbone={{_base_.ssl_backbone}},
             decode_head=dict(in_channels=[768] * 4))
