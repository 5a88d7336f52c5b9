_base_ = ['../_base_/seg/upernet_vit768_ade20k.py', '../_base_/backbones/mae_vitb16.py']
model = dict(backbone={{_base_.ssl_backbone}})
