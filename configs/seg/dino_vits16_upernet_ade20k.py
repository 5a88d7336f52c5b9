_base_ = ['../_base_/seg/upernet_vit384_ade20k.py', '../_base_/backbones/dino_vits16.py']
model = dict(backbone={{_base_.ssl_backbone}})
