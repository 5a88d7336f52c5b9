_base_ = ['../_base_/cls/finetune_food.py', '../_base_/backbones/insdis.py']
model = dict(backbone={{_base_.ssl_backbone}}, data_preprocessor={{_base_.ssl_preprocessor}})
