# UPerNet on a ResNet-50 with the plain 7x7 stem (SSLResNet), as the paper: the stem of mmseg's default
# ResNetV1c cannot take torchvision-layout self-supervised weights, so there is no model-level `pretrained`;
# the backbone loads its checkpoint itself (strictly). SyncBN becomes BN where it cannot synchronise.
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],  # replaced by the method's ssl_preprocessor
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=32)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='SSLResNet',
        checkpoint=None,  # set by the method's backbone config
        depth=50,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 2),
        dilations=(1, 1, 1, 1),
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False),
    decode_head=dict(
        type='UPerHead',
        in_channels=[256, 512, 1024, 2048],
        in_index=[0, 1, 2, 3],
        pool_scales=(1, 2, 3, 6),
        channels=512,
        dropout_ratio=0.1,
        num_classes=150,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
