_base_ = ['../_base_/seg/upernet_r50_ade20k.py', '../_base_/backbones/dino.py']
model = dict(backbone={{_base_.ssl_backbone}})
