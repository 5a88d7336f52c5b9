# The patch-16 base of the ViT finetune protocol with DINOv2's patch 14: anchors and RoI pooling at the true
# strides 3.5, 7, 14, 28, 56 and images padded to a multiple of 28 (see ../models/simplefpn_patch14.py).
_base_ = ['./faster-rcnn_vit16_simplefpn_voc0712_finetune.py', '../models/simplefpn_patch14.py']
model = {{_base_.patch14}}
