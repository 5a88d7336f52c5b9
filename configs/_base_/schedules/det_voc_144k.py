# The transfer paper's detection schedule (detectron2-configs/{frozen,finetune}/<method>.yaml of
# linusericsson/ssl-transfer, on detectron2's defaults), for a TOTAL batch of 2 images per step:
#   SOLVER.BASE_LR 0.0025, IMS_PER_BATCH 2, MAX_ITER 144000, STEPS (96000, 128000) with GAMMA 0.1 (default),
#   WARMUP_ITERS 100 with WARMUP_FACTOR 1/1000 and WARMUP_METHOD linear (defaults), MOMENTUM 0.9 and
#   WEIGHT_DECAY 1e-4 on every parameter, biases included (defaults: WEIGHT_DECAY_BIAS = WEIGHT_DECAY,
#   BIAS_LR_FACTOR 1; the backbone's BN is frozen, FPN and heads have no norm layers).
# The 8-GPU linear scaling of this schedule (total 16, lr 0.02, 18k iterations) is the variant
# configs/variants/det/bs16-linear-scaling.py.
max_iters = 144000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=24000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False, milestones=[96000, 128000], gamma=0.1)
]

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.0025, momentum=0.9, weight_decay=0.0001))

# lr 0.0025 is set for the total batch of 2 (--auto-scale-lr rescales it for another total batch; the
# iterations stay).
auto_scale_lr = dict(enable=False, base_batch_size=2)
