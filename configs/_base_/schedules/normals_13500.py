# The paper's NYUv2 normals schedule: SGD lr 0.02, momentum 0.9, weight decay 1e-4, poly decay (power 0.9) to 0
# over 13,500 iterations (its code: 150 epochs x 90 iterations), batch 4 (set in the dataset config; the
# code used 2).
optimizer = dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None)
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=13500, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=13500, val_interval=13500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=13500),
    sampler_seed=dict(type='DistSamplerSeedHook'))
auto_scale_lr = dict(enable=False, base_batch_size=4)
