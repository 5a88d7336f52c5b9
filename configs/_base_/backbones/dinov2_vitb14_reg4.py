# DINOv2 ViT-B/14 reg4 (other); ImageNet linear top-1 84.6.
# Official release:
#   https://dl.fbaipublicfiles.com/dinov2/dinov2_vitb14/dinov2_vitb14_reg4_pretrain.pth
# `checkpoint` is a zoo name (downloaded to the cache on first use) or the path of the original file;
# override with --cfg-options model.backbone.checkpoint=PATH.
# Input normalisation: ImageNet mean/std.
# ViT: width 768, 12 blocks, 12 heads, patch 14, 4 register tokens; the task bases set
# the type (SSLViT, or SSLViTDet in detection) and the blocks they read; the file is loaded strictly.
ssl_backbone = dict(method='dinov2_vitb14_reg4', checkpoint='dinov2_vitb14_reg4')
ssl_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
