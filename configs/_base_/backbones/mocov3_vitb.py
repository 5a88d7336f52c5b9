# MoCo v3 ViT-B (contrastive); ImageNet linear top-1 76.7.
# Official release:
#   https://dl.fbaipublicfiles.com/moco-v3/vit-b-300ep/vit-b-300ep.pth.tar
# `checkpoint` is a zoo name (downloaded to the cache on first use) or the path of the original file;
# override with --cfg-options model.backbone.checkpoint=PATH.
# Input normalisation: ImageNet mean/std.
# ViT: width 768, 12 blocks, 12 heads, patch 16; the task bases set
# the type (SSLViT, or SSLViTDet in detection) and the blocks they read; the file is loaded strictly.
ssl_backbone = dict(method='mocov3_vitb', checkpoint='mocov3_vitb')
ssl_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
