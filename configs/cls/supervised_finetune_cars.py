_base_ = ['../_base_/cls/finetune_cars.py', '../_base_/backbones/supervised.py']
model = dict(backbone={{_base_.ssl_backbone}}, data_preprocessor={{_base_.ssl_preprocessor}})
