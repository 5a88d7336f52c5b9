# Many-shot finetune on sun397: 397 classes, top1, val = the paper's seeded 20% of the training data.
# Generated from the dataset catalog (mmssl_transfer/datasets/catalog.py) by
# tools/generate_configs.py: edit the catalog, not this file.
_base_ = ['./finetune_common.py']

data_root = 'data/SUN397'
model = dict(head=dict(num_classes=397))
# images are decoded with pillow (cv2 cannot read every file of sun397)
train_pipeline = [
    dict(type='CheckedLoadImageFromFile', color_type='color_ignore_orientation', imdecode_backend='pillow'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='CheckedLoadImageFromFile', color_type='color_ignore_orientation', imdecode_backend='pillow'),
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
# the total batch per optimizer step over all GPUs (the paper: 64 on one GPU); the launcher splits it
train_dataloader = dict(batch_size=64,
                        dataset=dict(type='TransferSUN397', data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type='TransferSUN397', data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(type='TransferSUN397', data_root=data_root, pipeline=test_pipeline))
val_evaluator = dict(metric='top1')
test_evaluator = dict(metric='top1', calibration=True)
transfer_task = dict(task='finetune', dataset='sun397', protocol='finetune', primary_metric='top1',
                     variant='paper', total_batch_size=64)
