# ADE20K UPerNet for the ViT-B rows of the zoo (width 768): the recipe as ./upernet_vit_ade20k.py states it.
_base_ = ['./upernet_vit_ade20k.py']
