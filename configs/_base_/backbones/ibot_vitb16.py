# iBOT ViT-B/16 (other); ImageNet linear top-1 79.5.
# Official release:
#   https://lf3-nlp-opensource.bytetos.com/obj/nlp-opensource/archive/2022/ibot/vitb_16/checkpoint_teacher.pth
# `checkpoint` is a zoo name (downloaded to the cache on first use) or the path of the original file;
# override with --cfg-options model.backbone.checkpoint=PATH.
# Input normalisation: ImageNet mean/std.
# ViT: width 768, 12 blocks, 12 heads, patch 16; the task bases set
# the type (SSLViT, or SSLViTDet in detection) and the blocks they read; the file is loaded strictly.
ssl_backbone = dict(method='ibot_vitb16', checkpoint='ibot_vitb16')
ssl_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
