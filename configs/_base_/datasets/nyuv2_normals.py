# NYUv2 surface normals (795 train / 654 test, Ladicky et al. ground truth) in the NYUv2NormalsDataset layout
# (tools/prepare_nyuv2_normals.py). Training as the paper's code: random short side in 300..600 (long side
# <= 1000), whole images; the normal maps are resized with nearest neighbour and a horizontal flip negates x.
# The paper's code did not flip (--random_flip 0); to reproduce it:
#   --cfg-options train_dataloader.dataset.pipeline.3.prob=0.0
dataset_type = 'NYUv2NormalsDataset'
data_root = 'data/nyuv2_normals'
train_scales = [(1000, short) for short in (300, 375, 450, 525, 600)]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadNormalAnnotation'),
    dict(type='RandomChoiceResize', scales=train_scales, resize_type='NormalResize', keep_ratio=True),
    dict(type='NormalRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackNormalInputs'),
]
# Test at the native 480x640 resolution: the metric compares with the original ground truth.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadNormalAnnotation'),
    dict(type='PackNormalInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline))
test_dataloader = val_dataloader
# mean / median / rmse: angular error in degrees (lower is better); within_11.25/22.5/30: % of pixels (higher).
val_evaluator = dict(type='NormalAngularMetric')
test_evaluator = val_evaluator
