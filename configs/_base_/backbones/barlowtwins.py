# Barlow Twins (other); ImageNet linear top-1 73.5.
# Official release:
#   https://dl.fbaipublicfiles.com/barlowtwins/ljng/resnet50.pth
# `checkpoint` is a zoo name (downloaded to the cache on first use) or the path of the original file;
# override with --cfg-options model.backbone.checkpoint=PATH.
# Input normalisation: ImageNet mean/std.
ssl_backbone = dict(method='barlowtwins', checkpoint='barlowtwins')
ssl_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
