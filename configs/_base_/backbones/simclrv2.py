# SimCLR-v2 (contrastive); ImageNet linear top-1 71.7.
# Official release:
#   https://console.cloud.google.com/storage/browser/simclr-checkpoints/simclrv2/pretrained/r50_1x_sk0
#   https://storage.googleapis.com/simclr-checkpoints/simclrv2/pretrained/r50_1x_sk0/
# `checkpoint` is a zoo name (downloaded to the cache on first use) or the path of the original file;
# override with --cfg-options model.backbone.checkpoint=PATH.
# Input normalisation: [0, 1] input (mean 0, std 255 on 0-255 pixels), as SimCLR was trained.
ssl_backbone = dict(method='simclrv2', checkpoint='simclrv2')
ssl_preprocessor = dict(mean=[0.0, 0.0, 0.0], std=[255.0, 255.0, 255.0])
