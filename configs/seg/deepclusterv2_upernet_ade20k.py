_base_ = ['../_base_/seg/upernet_r50_ade20k.py', '../_base_/backbones/deepclusterv2.py']
model = dict(backbone={{_base_.ssl_backbone}})
