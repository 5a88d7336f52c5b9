# NYUv2 normals for the ViT-S rows of the zoo (width 384): ./pspnet_vit_nyuv2.py reading 4 x 384 channels.
_base_ = ['./pspnet_vit_nyuv2.py']
model = dict(decode_head=dict(in_channels=[384, 384, 384, 384]))
