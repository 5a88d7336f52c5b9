# Dataloaders of the many-shot finetune protocol: train on `train` (RandomResizedCrop 224 bicubic + flip, a fixed
# choice as in the paper's finetune.py; the sweep's --no-da trains on resize 224 + centre crop instead), validate on
# `val`, test on `test` (resize 224 + centre crop). The batch is the total over all GPUs (transfer_task of the
# generated finetune_<dataset>.py: total_batch_size); the launcher splits it per GPU.
# The pipelines are those of mmssl_transfer/datasets/classification/pipelines.py (a test asserts it); images are
# decoded ignoring their EXIF orientation tag, as the paper's PIL loaders.
# finetune_<dataset>.py (generated from the dataset catalog) fills in the dataset type, root, classes and metric.
_base_ = ['../models/resnet50_ssl_cls.py', '../schedules/cls_finetune_5000it.py', '../cls_runtime.py']

train_pipeline = [
    dict(type='CheckedLoadImageFromFile', color_type='color_ignore_orientation'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='CheckedLoadImageFromFile', color_type='color_ignore_orientation'),
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=None, data_root=None, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=None, data_root=None, split='val', pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=None, data_root=None, split='test', pipeline=test_pipeline))
val_evaluator = dict(type='TransferClsMetric', metric='top1')
test_evaluator = dict(type='TransferClsMetric', metric='top1', calibration=True)
