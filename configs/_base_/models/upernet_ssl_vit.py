# UPerNet on a ViT-B as mmseg 1.2.2's MAE recipe builds it (configs/_base_/models/upernet_mae.py with
# configs/mae/mae-base_upernet_8xb2-amp-160k_ade20k-512x512.py): the final-norm patch tokens of blocks 4, 6, 8 and 12
# (out_indices [3, 5, 7, 11]) of SSLViT, rescaled by mmseg's Feature2Pyramid (x4 by two deconvolutions with BN+GELU,
# x2 by one deconvolution, x1, x0.5 by max-pooling: strides 4-32 for patch 16) into mmseg's UPerHead (768
# channels, dropout 0.1) and an FCN auxiliary head on the third map (loss weight 0.4); drop path 0.1.
# Ours vs mmseg's MAE backbone: SSLViT loads any ViT release of the zoo strictly (mmseg's needs an mmcls-converted
# file) and puts each returned block through the final norm (as DINOv2's dense evaluations); its LayerScale comes
# from the checkpoint's row. Inputs whose sides are not a multiple of the patch are resized to the nearest
# multiple inside the backbone (patch_fit='resize': 512 -> 518 for DINOv2's patch 14, a no-op for patch 16), so
# the token grid covers the image; the logits are resized to the input as for every backbone.
# Widths are ViT-B's (768); each row's generated config sets its own (mmssl_transfer/tasks.py ViTBase.arch_keys).
norm_cfg = dict(type='SyncBN', requires_grad=True)
crop_size = (512, 512)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='SSLViT',
        checkpoint=None,  # set by the method's backbone config
        out_type='featmap',
        out_indices=[3, 5, 7, 11],
        patch_fit='resize',
        drop_path_rate=0.1),
    neck=dict(type='Feature2Pyramid', embed_dim=768, rescales=[4, 2, 1, 0.5], norm_cfg=norm_cfg),
    decode_head=dict(
        type='UPerHead',
        in_channels=[768, 768, 768, 768],
        in_index=[0, 1, 2, 3],
        pool_scales=(1, 2, 3, 6),
        channels=768,
        dropout_ratio=0.1,
        num_classes=150,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=768,
        in_index=2,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=150,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    train_cfg=dict(),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 341)))
