# Many-shot finetune on clevr_count: 8 classes, top1, test = CLEVR val, val = the paper's seeded 20% of CLEVR train.
# Generated from the dataset catalog (mmssl_transfer/datasets/catalog.py) by
# tools/generate_configs.py: edit the catalog, not this file.
_base_ = ['./finetune_common.py']

data_root = 'data/clevr'
model = dict(head=dict(num_classes=8))
# the total batch per optimizer step over all GPUs (the paper: 64 on one GPU); the launcher splits it
train_dataloader = dict(batch_size=64,
                        dataset=dict(type='CLEVRCount', data_root=data_root))
val_dataloader = dict(dataset=dict(type='CLEVRCount', data_root=data_root))
test_dataloader = dict(dataset=dict(type='CLEVRCount', data_root=data_root))
val_evaluator = dict(metric='top1')
test_evaluator = dict(metric='top1', calibration=True)
transfer_task = dict(task='finetune', dataset='clevr_count', protocol='finetune', primary_metric='top1',
                     variant='paper', total_batch_size=64)
