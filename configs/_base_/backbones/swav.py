# SwAV (clustering); ImageNet linear top-1 75.3.
# Official release:
#   https://dl.fbaipublicfiles.com/deepcluster/swav_800ep_pretrain.pth.tar
# `checkpoint` is a zoo name (downloaded to the cache on first use) or the path of the original file;
# override with --cfg-options model.backbone.checkpoint=PATH.
# Input normalisation: ImageNet mean/std.
ssl_backbone = dict(method='swav', checkpoint='swav')
ssl_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
