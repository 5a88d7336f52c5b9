# Variant of the ADE20K protocol: mmseg's standard UPerNet recipe instead of the paper's (mmseg
# configs/_base_/datasets/ade20k.py, schedules/schedule_160k.py, models/upernet_r50.py): random rescale of
# (2048, 512) by 0.5..2.0, 512x512 crops (cat_max_ratio 0.75), flip, photometric distortion, labels padded as
# ignored; total batch 16 (4 GPUs x 4); SGD lr 0.01, weight decay 5e-4 on every parameter, poly to 1e-4 over 160k
# iterations; dropout 0.1, FCN auxiliary head (weight 0.4) on stage 3, loss at full resolution averaged over all
# pixels; single-scale test at (2048, 512).
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='CheckSegMapSize'),
    dict(type='RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='CheckSegMapSize'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))  # = total_batch_size
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
test_time_aug = False
model = dict(
    data_preprocessor=dict(size=crop_size, size_divisor=None, seg_pad_val=255),
    decode_head=dict(
        label_downsample=1, dropout_ratio=0.1,  # label_downsample 1: mmseg's UPerHead loss
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=False)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=1024,
        in_index=2,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=150,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)))
optim_wrapper = dict(_delete_=True, type='OptimWrapper', clip_grad=None,
                     optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005))
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=160000, by_epoch=False)]
train_cfg = dict(max_iters=160000, val_interval=16000)
default_hooks = dict(checkpoint=dict(interval=16000))
auto_scale_lr = dict(base_batch_size=16)
transfer_task = dict(variant='mmseg-512x512-160k', total_batch_size=16)
