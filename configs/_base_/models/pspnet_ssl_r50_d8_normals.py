# Surface normals: dilated SSLResNet-50 (output stride 8), frozen entirely with BN in eval mode, and a PSPNet
# pyramid-pooling head (the paper's "resnet50dilated + ppm"). decode_head.target is the one knob:
# 'clusters' (paper: 40 k-means normal classes, centres from the data folder) or 'regression' (cosine loss).
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],  # replaced by the method's ssl_preprocessor
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,  # padding is invalid ground truth
    size_divisor=8)
model = dict(
    type='NormalEncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='SSLResNet',
        checkpoint=None,  # set by the method's backbone config
        depth=50,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        frozen_stages=4,  # stem and all four stages frozen
        norm_cfg=norm_cfg,
        norm_eval=True),  # BN statistics frozen too
    decode_head=dict(
        type='NormalPSPHead',
        target='clusters',
        num_clusters=40,
        cluster_file=None,  # None: NormalClustersHook takes <data_root>/normal_clusters_k40.npy
        in_channels=2048,
        in_index=3,
        channels=512,
        pool_scales=(1, 2, 3, 6),
        dropout_ratio=0.1,
        norm_cfg=norm_cfg,
        align_corners=False),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
