# SeLa-v2 (clustering); ImageNet linear top-1 71.8.
# Official release:
#   https://dl.fbaipublicfiles.com/deepcluster/selav2_400ep_pretrain.pth.tar
# `checkpoint` is a zoo name (downloaded to the cache on first use) or the path of the original file;
# override with --cfg-options model.backbone.checkpoint=PATH.
# Input normalisation: ImageNet mean/std.
ssl_backbone = dict(method='selav2', checkpoint='selav2')
ssl_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
