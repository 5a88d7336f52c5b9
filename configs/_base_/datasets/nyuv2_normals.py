# NYUv2 surface normals (795 train / 654 test, Ladicky et al. ground truth) in the NYUv2NormalsDataset layout
# (tools/prepare_nyuv2_normals.py), trained and tested as the paper's code (surface-normal-estimation/
# dataset_generic.py, eval_generic.py of linusericsson/ssl-transfer):
#   train: random short side in (300, 375, 450, 525, 600), ONE per batch (BatchRandomChoiceResize: the same for
#          the images of an optimizer step on 1 or N processes; per image is the variant
#          configs/variants/normals/per-image-scale.py), long side <= 1000, whole images, PIL bilinear resize
#          (scipy.misc.imresize), normal maps by nearest neighbour; NO flip (train_finetune_models.sh passes
#          --random_flip 0 and dataset_generic.py asserts it is off for nyuv2sn40; flip is the variant
#          configs/variants/normals/flip-aug.py);
#   test:  one scale: short side 450 (eval_generic.py --imgSize default [450]), long side <= 1000, both sides
#          rounded up to a multiple of 8 (padding_constant), one cv2 bilinear resize; the logits are resized
#          back to the original 480x640 and compared with the original ground truth (the native-resolution test
#          is the variant configs/variants/normals/native-resolution-test.py).
# Images are decoded ignoring their EXIF orientation tag, as dataset_generic.py's scipy imread (PIL) does.
dataset_type = 'NYUv2NormalsDataset'
data_root = 'data/nyuv2_normals'
train_scales = [(1000, short) for short in (300, 375, 450, 525, 600)]
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='color_ignore_orientation'),
    dict(type='LoadNormalAnnotation'),
    # one scale per total batch (draws_per_batch = transfer_task.total_batch_size), as dataset_generic.py L208-211
    dict(type='BatchRandomChoiceResize', scales=train_scales, draws_per_batch=2, resize_type='NormalResize',
         keep_ratio=True, backend='pillow'),
    dict(type='PackNormalInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='color_ignore_orientation'),
    dict(type='ShortSideResizeToMultiple', short_side=450, max_long_side=1000, size_divisor=8, backend='cv2'),
    dict(type='LoadNormalAnnotation'),
    dict(type='PackNormalInputs'),
]
train_dataloader = dict(
    batch_size=2,  # = transfer_task.total_batch_size (the single-process value)
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline))
test_dataloader = val_dataloader
# mean / median / rmse: angular error in degrees (lower is better); within_11.25/22.5/30: % of pixels (higher).
val_evaluator = dict(type='NormalAngularMetric')
test_evaluator = val_evaluator
