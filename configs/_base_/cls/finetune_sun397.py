# Many-shot finetune on SUN397, official partition 1; val = seeded 20% of train.
_base_ = ['./finetune_common.py']

data_root = 'data/SUN397'
model = dict(head=dict(num_classes=397))
train_dataloader = dict(dataset=dict(type='TransferSUN397', data_root=data_root))
val_dataloader = dict(dataset=dict(type='TransferSUN397', data_root=data_root))
test_dataloader = dict(dataset=dict(type='TransferSUN397', data_root=data_root))
val_evaluator = dict(metric='top1')
test_evaluator = dict(metric='top1', calibration=True)
transfer_task = dict(task='finetune', dataset='sun397', protocol='finetune', primary_metric='top1')
