# SimCLR-v1 (contrastive); ImageNet linear top-1 69.3.
# Official release:
#   https://storage.cloud.google.com/simclr-gcs/checkpoints/ResNet50_1x.zip
# `checkpoint` is a zoo name (downloaded to the cache on first use) or the path of the original file;
# override with --cfg-options model.backbone.checkpoint=PATH.
# Input normalisation: [0, 1] input (mean 0, std 255 on 0-255 pixels), as SimCLR was trained.
ssl_backbone = dict(method='simclrv1', checkpoint='simclrv1')
ssl_preprocessor = dict(mean=[0.0, 0.0, 0.0], std=[255.0, 255.0, 255.0])
