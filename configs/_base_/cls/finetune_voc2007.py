# Many-shot finetune on voc2007: 20 classes, voc11_map, official train/val/test.
# Generated from the dataset catalog (mmssl_transfer/datasets/catalog.py) by
# tools/generate_configs.py: edit the catalog, not this file.
_base_ = ['./finetune_common.py']

data_root = 'data/VOCdevkit/VOC2007'
# BCE averaged over images and classes as the paper's finetune.py L111 (mmpretrain's multi-label head divides the
# summed loss by the batch only, hence loss_weight = 1 / 20); nn.Linear's own init as its L108; the
# test ranks by the logits, as its test_classifier (not by float32 sigmoids, which saturate into ties)
model = dict(head=dict(_delete_=True, type='LogitMultiLabelLinearClsHead', num_classes=20, in_channels=2048,
                       loss=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.05),
                       init_cfg=None))
# the total batch per optimizer step over all GPUs (the paper: 64 on one GPU); the launcher splits it
train_dataloader = dict(batch_size=64,
                        dataset=dict(type='TransferVOC2007', data_root=data_root))
val_dataloader = dict(dataset=dict(type='TransferVOC2007', data_root=data_root))
test_dataloader = dict(dataset=dict(type='TransferVOC2007', data_root=data_root))
val_evaluator = dict(metric='voc11_map')
test_evaluator = dict(metric='voc11_map', calibration=False)
transfer_task = dict(task='finetune', dataset='voc2007', protocol='finetune', primary_metric='voc11_map',
                     variant='paper', total_batch_size=64)
