# BYOL (other); ImageNet linear top-1 74.3.
# Official release:
#   https://storage.googleapis.com/deepmind-byol/checkpoints/pretrain_res50x1.pkl
# `checkpoint` is a zoo name (downloaded to the cache on first use) or the path of the original file;
# override with --cfg-options model.backbone.checkpoint=PATH.
# Input normalisation: ImageNet mean/std.
ssl_backbone = dict(method='byol', checkpoint='byol')
ssl_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
