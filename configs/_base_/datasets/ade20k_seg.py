# ADE20K (SceneParsing, 150 classes) as the paper trained and tested it (CSAIL's semantic-segmentation-pytorch in
# linusericsson/ssl-transfer/semantic-segmentation; config/ade20k-resnet50-upernet.yaml, mit_semseg/dataset.py,
# eval_multipro.py). Label 0 ("other") is ignored.
#   train: short side random in (300, 375, 450, 525, 600), long side <= 1000, PIL bilinear resize (labels PIL
#          nearest), horizontal flip, whole images (no crop; the data preprocessor pads each batch to a multiple
#          of 32);
#   test:  the softmax averaged over the same 5 scales, no flip (eval_multipro.py): each image resized once with
#          PIL bilinear to short side s (long side <= 1000), both sides rounded UP to a multiple of 32
#          (ShortSideResizeToMultiple); the logits are resized to the original size, softmaxed and averaged, and
#          compared with the original labels. tools/test.py does this by default (test_time_aug=True in the task
#          base; tta_pipeline below); the single-scale test is the variant configs/variants/seg/single-scale.py.
# Not reproduced: the toolkit draws one scale per GPU batch (here one per image) and groups each GPU batch by
# orientation (h > w or not).
# Images are decoded ignoring their EXIF orientation tag, as mit_semseg/dataset.py's Image.open does.
dataset_type = 'ADE20KDataset'
data_root = 'data/ade/ADEChallengeData2016'
paper_scales = (300, 375, 450, 525, 600)
train_scales = [(1000, short) for short in paper_scales]
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='color_ignore_orientation'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='CheckSegMapSize'),
    dict(type='RandomChoiceResize', scales=train_scales, keep_ratio=True, backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
# Single scale at the middle training scale: the validation during training, and the single-scale variant's test.
# Annotations stay at the original size (loaded after Resize).
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='color_ignore_orientation'),
    dict(type='Resize', scale=(1000, 450), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='CheckSegMapSize'),
    dict(type='PackSegInputs'),
]
# The paper's test (see above): tools/test.py runs it through tta_model (SegTTAModel averages the softmaxes).
tta_pipeline = [
    dict(type='LoadImageFromFile', color_type='color_ignore_orientation', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='ShortSideResizeToMultiple', short_side=short, max_long_side=1000, size_divisor=32,
                  backend='pillow') for short in paper_scales],
            [dict(type='LoadAnnotations', reduce_zero_label=True)],
            [dict(type='CheckSegMapSize')],
            [dict(type='PackSegInputs')],
        ]),
]
train_dataloader = dict(
    batch_size=4,  # = transfer_task.total_batch_size (the single-process value)
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images/training', seg_map_path='annotations/training'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images/validation', seg_map_path='annotations/validation'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# aAcc (pixel accuracy), mIoU and mAcc, in percent.
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
