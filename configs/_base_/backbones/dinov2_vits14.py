# DINOv2 ViT-S/14 (other); ImageNet linear top-1 81.1.
# Official release:
#   https://dl.fbaipublicfiles.com/dinov2/dinov2_vits14/dinov2_vits14_pretrain.pth
# `checkpoint` is a zoo name (downloaded to the cache on first use) or the path of the original file;
# override with --cfg-options model.backbone.checkpoint=PATH.
# Input normalisation: ImageNet mean/std.
# ViT: width 384, 12 blocks, 6 heads, patch 14; the task bases set
# the type (SSLViT, or SSLViTDet in detection) and the blocks they read; the file is loaded strictly.
ssl_backbone = dict(method='dinov2_vits14', checkpoint='dinov2_vits14')
ssl_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
