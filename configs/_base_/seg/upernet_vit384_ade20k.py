# ADE20K UPerNet for the ViT-S rows of the zoo (width 384): ./upernet_vit_ade20k.py with the neck and heads at the
# backbone's width (mmseg has no ViT-S recipe; iBOT's ViT-S UPerNet reads 384-channel maps the same way).
_base_ = ['./upernet_vit_ade20k.py']
model = dict(neck=dict(embed_dim=384), decode_head=dict(in_channels=[384, 384, 384, 384]),
             auxiliary_head=dict(in_channels=384))
