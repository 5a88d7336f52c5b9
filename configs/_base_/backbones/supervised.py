# Supervised (supervised); ImageNet linear top-1 77.2.
# Official release:
#   https://download.pytorch.org/models/resnet50-19c8e357.pth
#   https://download.pytorch.org/models/resnet50-0676ba61.pth
# `checkpoint` is a zoo name (downloaded to the cache on first use) or the path of the original file;
# override with --cfg-options model.backbone.checkpoint=PATH.
# Input normalisation: ImageNet mean/std.
ssl_backbone = dict(method='supervised', checkpoint='supervised')
ssl_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
