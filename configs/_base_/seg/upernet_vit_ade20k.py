# ADE20K on a ViT, finetuned: mmseg 1.2.2's MAE/BEiT recipe (configs/mae/mae-base_upernet_8xb2-amp-160k_ade20k-
# 512x512.py; MAE ViT-B: 48.13 mIoU in mmseg's README) with the project's SSLViT (../models/upernet_ssl_vit.py):
# UPerNet on blocks [3, 5, 7, 11] through Feature2Pyramid, AdamW lr 1e-4, betas (0.9, 0.999), weight decay 0.05,
# layer-wise lr decay 0.65 (ViTLayerDecayOptimWrapperConstructor: no weight decay on norms, biases, tokens and
# position embeddings, as mmseg's LayerDecayOptimizerConstructor), linear warm-up over 1,500 iterations then poly
# (power 1) to 0 at 160k iterations, total batch 16 (8 GPUs x 2), 512x512 crops of mmseg's ADE20K pipeline, and a
# sliding-window test (512 crops, stride 341) at (2048, 512). mmseg's recipe trains with AMP (fp16, dynamic loss
# scale): pass `tools/train.py --amp` on GPU (recorded as a change of optim_wrapper.type); this base runs in fp32
# anywhere. Widths are ViT-B's (768); each row's generated config sets its own (tasks.py ViTBase.arch_keys).
# Not the paper's ADE20K protocol (ResNet-50 UPerNet, SGD lr 0.02, batch 4, 150k iterations, 5-scale test): every run
# records the named variant 'vit-upernet-mae' (never paper_protocol).
_base_ = ['../models/upernet_ssl_vit.py', '../datasets/ade20k_seg.py', '../seg_runtime.py']
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='color_ignore_orientation'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='CheckSegMapSize'),
    dict(type='RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='color_ignore_orientation'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='CheckSegMapSize'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))  # = total_batch_size
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
test_time_aug = False
transfer_task = dict(task='seg', dataset='ade20k', protocol='finetune', primary_metric='mIoU',
                     variant='vit-upernet-mae', total_batch_size=16)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='ViTLayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.65, num_layers=12))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=160000, by_epoch=False),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=160000, val_interval=16000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=16000),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
# lr 1e-4 is set for the total batch of 16; --auto-scale-lr scales it linearly with another total batch.
auto_scale_lr = dict(enable=False, base_batch_size=16)
