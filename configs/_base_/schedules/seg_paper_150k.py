# The paper's ADE20K schedule (semantic-segmentation/config/ade20k-resnet50-upernet.yaml and train.py of
# linusericsson/ssl-transfer): SGD lr 0.02 (encoder and decoder), momentum 0.9, weight decay 1e-4 on conv and
# linear weights only (train.py group_weight: no decay on biases nor on BN weights/biases), poly decay (power 0.9)
# to 0 over 30 epochs x 5000 iterations = 150k, for a total batch of 4 (see the task base).
optimizer = dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None,
                     paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=150000, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=150000, val_interval=15000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=15000),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
# lr 0.02 is set for the total batch of 4; --auto-scale-lr scales it linearly with another total batch.
auto_scale_lr = dict(enable=False, base_batch_size=4)
