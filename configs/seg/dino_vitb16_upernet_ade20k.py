_base_ = ['../_base_/seg/upernet_vit_ade20k.py', '../_base_/backbones/dino_vitb16.py']
model = dict(backbone={{_base_.ssl_backbone}},
             neck=dict(embed_dim=768), decode_head=dict(in_channels=[768] * 4), auxiliary_head=dict(in_channels=768))
