_base_ = ['../_base_/seg/upernet_vit_ade20k.py', '../_base_/backbones/dinov2_vits14_reg4.py']
model = dict(backbone={{_base_.ssl_backbone}},
             neck=dict(embed_dim=384), decode_head=dict(in_channels=[384] * 4), auxiliary_head=dict(in_channels=384))
