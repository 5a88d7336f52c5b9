# NYUv2 depth for the ViT-B rows of the zoo (width 768): ./pspnet_vit_nyuv2_depth.py as it states.
_base_ = ['./pspnet_vit_nyuv2_depth.py']
