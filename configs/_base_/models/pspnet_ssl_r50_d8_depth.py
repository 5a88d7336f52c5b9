# NYUv2 depth with the normals task's network (pspnet_ssl_r50_d8_normals.py): the dilated SSLResNet-50 (output
# stride 8) frozen entirely with BN in eval mode, and a PSPNet pyramid-pooling head with one output channel
# (DepthPSPHead: sigmoid * 10 m), the loss at 1/8 resolution on nearest-downsampled ground truth as the normals
# head's. Loss: mmseg's SiLogLoss (scale-invariant log, the loss of mmseg's NYU depth configs) over the pixels
# with depth; ViRB's L1 is the variant configs/variants/depth/virb-224-l1.py.
# The segmentor is mmseg's DepthEstimator (CheckedDepthEstimator refuses test mode 'slide', which mmseg 1.2.2
# silently runs as 'whole').
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=0,  # padded depth is 0 m: missing, skipped by the loss
    size_divisor=8)
model = dict(
    type='CheckedDepthEstimator',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='SSLResNet',
        checkpoint=None,  # set by the method's backbone config
        depth=50,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        contract_dilation=True,
        frozen_stages=4,
        norm_cfg=norm_cfg,
        norm_eval=True),
    decode_head=dict(
        type='DepthPSPHead',
        max_depth=10.0,
        min_depth=1e-3,
        in_channels=2048,
        in_index=3,
        channels=512,
        pool_scales=(1, 2, 3, 6),
        dropout_ratio=0.1,
        label_downsample=8,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='SiLogLoss', loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
