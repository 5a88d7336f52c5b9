# Many-shot finetune on Caltech-101 (102 classes incl. background), 30 train images per class;
# val = seeded 20% of train.
_base_ = ['./finetune_common.py']

data_root = 'data/caltech101'
model = dict(head=dict(num_classes=102))
train_dataloader = dict(dataset=dict(type='TransferCaltech101', data_root=data_root))
val_dataloader = dict(dataset=dict(type='TransferCaltech101', data_root=data_root))
test_dataloader = dict(dataset=dict(type='TransferCaltech101', data_root=data_root))
val_evaluator = dict(metric='mean_per_class')
test_evaluator = dict(metric='mean_per_class', calibration=True)
transfer_task = dict(task='finetune', dataset='caltech101', protocol='finetune', primary_metric='mean_per_class')
