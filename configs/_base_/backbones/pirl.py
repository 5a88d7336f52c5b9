# PIRL (contrastive); ImageNet linear top-1 61.7.
# Official release:
#   https://www.dropbox.com/sh/87d24jqsl6ra7t2/AADN4jKnvTI0U5oT6hTmQZz8a/PIRL.pth
# `checkpoint` is a zoo name (downloaded to the cache on first use) or the path of the original file;
# override with --cfg-options model.backbone.checkpoint=PATH.
# Input normalisation: ImageNet mean/std.
ssl_backbone = dict(method='pirl', checkpoint='pirl')
ssl_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
