_base_ = ['../_base_/cls/finetune_pets.py', '../_base_/backbones/barlowtwins.py']
model = dict(backbone={{_base_.ssl_backbone}}, data_preprocessor={{_base_.ssl_preprocessor}})
