# The paper's finetune schedule: 5000 steps, total batch 64 on any number of GPUs, SGD Nesterov
# momentum 0.9, cosine decay per step, no warm-up. The sweep (tools/finetune_sweep.py) sets lr in
# {0.1, 0.01, 0.001, 0.0001} and SGD weight_decay = wd / lr for wd in {0, 1e-6, 1e-5, 1e-4, 1e-3}.
max_iters = 5000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict()
test_cfg = dict()

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.01))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, by_epoch=False, begin=0, end=max_iters, eta_min=0)
]
auto_scale_lr = dict(enable=False, base_batch_size=64)
