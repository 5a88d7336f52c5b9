# NYUv2 normals for the ViT-B rows of the zoo (width 768): ./pspnet_vit_nyuv2.py as it states.
_base_ = ['./pspnet_vit_nyuv2.py']
