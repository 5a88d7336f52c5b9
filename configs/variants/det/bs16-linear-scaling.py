# Variant of the detection protocol: the paper's schedule linearly rescaled to the usual 8 GPUs x 2 images,
# a TOTAL batch of 16 (8x the paper's 2): lr 0.02 (= 0.0025 x 8), 18k iterations (= 144k / 8), lr x0.1 at 12k
# and 16k (= 96k / 8, 128k / 8), the same 100 warm-up iterations. It sees as many images as the paper's
# schedule, not the same optimisation: results are recorded with variant 'bs16-linear-scaling'.
#   tools/dist_train.sh configs/det/byol_frozen_voc.py 8 --variant bs16-linear-scaling
# A variant file is applied on top of an experiment config (mmssl_transfer/apis/variants.py).
max_iters = 18000
train_cfg = dict(max_iters=max_iters, val_interval=3000)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False, milestones=[12000, 16000], gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.02))
auto_scale_lr = dict(base_batch_size=16)
train_dataloader = dict(batch_size=16)  # = total_batch_size (the single-process value)
transfer_task = dict(variant='bs16-linear-scaling', total_batch_size=16)
