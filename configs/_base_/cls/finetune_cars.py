# Many-shot finetune on cars: 196 classes, top1, val = the paper's seeded 20% of the training data.
# Generated from the dataset catalog (mmssl_transfer/datasets/catalog.py) by
# tools/generate_configs.py: edit the catalog, not this file.
_base_ = ['./finetune_common.py']

data_root = 'data/stanford_cars'
model = dict(head=dict(num_classes=196))
# the total batch per optimizer step over all GPUs (the paper: 64 on one GPU); the launcher splits it
train_dataloader = dict(batch_size=64,
                        dataset=dict(type='TransferCars', data_root=data_root))
val_dataloader = dict(dataset=dict(type='TransferCars', data_root=data_root))
test_dataloader = dict(dataset=dict(type='TransferCars', data_root=data_root))
val_evaluator = dict(metric='top1')
test_evaluator = dict(metric='top1', calibration=True)
transfer_task = dict(task='finetune', dataset='cars', protocol='finetune', primary_metric='top1',
                     variant='paper', total_batch_size=64)
