# Many-shot finetune on flowers: 102 classes, mean_per_class, official train/val/test.
# Generated from the dataset catalog (mmssl_transfer/datasets/catalog.py) by
# tools/generate_configs.py: edit the catalog, not this file.
_base_ = ['./finetune_common.py']

data_root = 'data/flowers102'
model = dict(head=dict(num_classes=102))
# the total batch per optimizer step over all GPUs (the paper: 64 on one GPU); the launcher splits it
train_dataloader = dict(batch_size=64,
                        dataset=dict(type='TransferFlowers102', data_root=data_root))
val_dataloader = dict(dataset=dict(type='TransferFlowers102', data_root=data_root))
test_dataloader = dict(dataset=dict(type='TransferFlowers102', data_root=data_root))
val_evaluator = dict(metric='mean_per_class')
test_evaluator = dict(metric='mean_per_class', calibration=True)
transfer_task = dict(task='finetune', dataset='flowers', protocol='finetune', primary_metric='mean_per_class',
                     variant='paper', total_batch_size=64)
