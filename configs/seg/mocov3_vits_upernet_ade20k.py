_base_ = ['../_base_/seg/upernet_vit384_ade20k.py', '../_base_/backbones/mocov3_vits.py']
model = dict(backbone={{_base_.ssl_backbone}})
