# The paper's NYUv2 normals schedule (surface-normal-estimation/scripts/train_finetune_models.sh and
# train_generic.py of linusericsson/ssl-transfer): --epoch_iters 90 --num_epoch 150 = 13,500 iterations, SGD
# lr 0.02, momentum 0.9, weight decay 1e-4 on conv and linear weights only (group_weight: no decay on biases nor
# BN), poly decay (power 0.9) to 0, total batch 2 (see the task base).
optimizer = dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None,
                     paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
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
# lr 0.02 is set for the total batch of 2.
auto_scale_lr = dict(enable=False, base_batch_size=2)
