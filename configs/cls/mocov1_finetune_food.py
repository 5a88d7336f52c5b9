_base_ = ['../_base_/cls/finetune_food.py', '../_base_/backbones/mocov1.py']
model = dict(backbone={{_base_.ssl_backbone}}, data_preprocessor={{_base_.ssl_preprocessor}})
