# Many-shot finetune on Stanford Cars (196), official train/test; val = seeded 20% of train.
_base_ = ['./finetune_common.py']

data_root = 'data/stanford_cars'
model = dict(head=dict(num_classes=196))
train_dataloader = dict(dataset=dict(type='TransferCars', data_root=data_root))
val_dataloader = dict(dataset=dict(type='TransferCars', data_root=data_root))
test_dataloader = dict(dataset=dict(type='TransferCars', data_root=data_root))
val_evaluator = dict(metric='top1')
test_evaluator = dict(metric='top1', calibration=True)
transfer_task = dict(task='finetune', dataset='cars', protocol='finetune', primary_metric='top1')
