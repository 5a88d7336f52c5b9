# Detection schedule of the transfer paper, linearly rescaled to the usual 8 GPUs x 2 images.
#   paper (1 GPU x 2 images): lr 0.0025, 144k iterations, lr x0.1 at 96k and 128k, 100 warm-up iterations.
#   here  (8 GPUs x 2 images = batch 16, 8x the paper's): lr 0.02 (= 0.0025 x 8), 18k iterations (= 144k / 8),
#   steps at 12k and 16k (= 96k / 8, 128k / 8), 100 warm-up iterations.
# On another number of GPUs pass --auto-scale-lr: lr scales by (GPUs x 2) / 16 (auto_scale_lr below); to run
# the paper's exact schedule on one GPU use --cfg-options with the numbers above.
max_iters = 18000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=3000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False, milestones=[12000, 16000], gamma=0.1)
]

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001))

# base_batch_size = 8 GPUs x 2 images per GPU, the batch that lr 0.02 is set for.
auto_scale_lr = dict(enable=False, base_batch_size=16)
