# Surface normals as the paper's code (linusericsson/ssl-transfer/surface-normal-estimation: ptresnet50dilated
# encoder + ppm decoder): dilated SSLResNet-50 (output stride 8) frozen entirely with BN in eval mode, and a
# PSPNet pyramid-pooling head. decode_head.target is the one knob: 'clusters' (paper: 40 k-means normal classes,
# centres from the data folder) or 'regression' (cosine loss).
# Input: ImageNet mean/std for every method, SimCLR included (scripts/train_all.sh passes no image_mode, so
# dataset_generic.py uses 'rgb' = ImageNet normalisation); the method's own normalisation is the variant
# configs/variants/normals/method-input.py.
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,  # padding is invalid ground truth
    size_divisor=8)  # padding_constant 8
model = dict(
    type='NormalEncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='SSLResNet',
        checkpoint=None,  # set by the method's backbone config
        depth=50,
        out_indices=(0, 1, 2, 3),
        # models/models.py ResnetDilated(dilate_scale=8) `_nostride_dilate`: layer3 and layer4 lose their stride;
        # their first block's 3x3 conv (the one that had stride 2) gets dilation 1 and 2, the other blocks 2 and 4
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        contract_dilation=True,
        frozen_stages=4,  # stem and all four stages frozen (--freeze_until layer4)
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
        dropout_ratio=0.1,  # the ppm decoder's Dropout2d(0.1)
        label_downsample=8,  # loss at the decoder's 1/8 resolution on nearest-downsampled labels
        norm_cfg=norm_cfg,
        align_corners=False),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
