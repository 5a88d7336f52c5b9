_base_ = ['../_base_/seg/upernet_vit768_ade20k.py', '../_base_/backbones/mocov3_vitb.py']
model = dict(backbone={{_base_.ssl_backbone}})
