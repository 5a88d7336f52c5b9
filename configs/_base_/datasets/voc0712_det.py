# PASCAL VOC detection, the transfer paper's protocol (detectron2's VOC reading: boxes [x1-1, y1-1, x2, y2],
# box_convention='detectron2', where mmdet subtracts 1 from all four coordinates): train VOC07 trainval + VOC12
# trainval, test VOC07 test;
# multi-scale training (short side 480..800 step 32, long side <= 1333), flip, test at short side 800.
# CheckedVOCDataset is mmdet's VOCDataset plus clear errors that name a missing/broken file; its
# train_on_difficult=True trains on the boxes VOC marks difficult, as detectron2's VOC loader (and so the paper)
# does, where mmdet would ignore them (the variant configs/variants/det/mmdet-ignore-difficult.py). The VOC07
# test metric ignores difficult boxes either way.
# Images are decoded with their EXIF orientation applied (mmcv's default), as detectron2's read_image
# (detection_utils._apply_exif_orientation) does.
dataset_type = 'CheckedVOCDataset'
data_root = 'data/VOCdevkit/'
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 480), (1333, 512), (1333, 544), (1333, 576), (1333, 608), (1333, 640),
                (1333, 672), (1333, 704), (1333, 736), (1333, 768), (1333, 800)],
        keep_ratio=True, backend='pillow', interpolation='bilinear'),  # detectron2's ResizeShortestEdge: PIL
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True, backend='pillow', interpolation='bilinear'),
    # load boxes after resizing so that they stay in original-image coordinates for evaluation
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]

train_dataloader = dict(
    batch_size=2,  # = transfer_task.total_batch_size (the single-process value)
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='ConcatDataset',
        # VOCDataset adds a per-year `dataset_type` to its metainfo, which ConcatDataset would reject.
        ignore_keys=['dataset_type'],
        datasets=[
            dict(
                type=dataset_type,
                data_root=data_root,
                ann_file='VOC2007/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root='VOC2007/'),
                train_on_difficult=True,
                box_convention='detectron2',
                filter_cfg=dict(filter_empty_gt=True, min_size=32),
                pipeline=train_pipeline,
                backend_args=backend_args),
            dict(
                type=dataset_type,
                data_root=data_root,
                ann_file='VOC2012/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root='VOC2012/'),
                train_on_difficult=True,
                box_convention='detectron2',
                filter_cfg=dict(filter_empty_gt=True, min_size=32),
                pipeline=train_pipeline,
                backend_args=backend_args)
        ]))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='VOC2007/ImageSets/Main/test.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        test_mode=True,
        box_convention='detectron2',
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# AP = mean over IoU 0.50:0.05:0.95 of the VOC07 11-point mAP, plus AP50 and AP75, in percent (detectron2's
# PASCAL VOC evaluator, which the paper used). Difficult boxes are ignored. Boxes are detectron2's
# [x1-1, y1-1, x2, y2] (box_convention above) and the IoU continuous, which equals detectron2's evaluator.
val_evaluator = dict(type='VOCMultiIoUMetric', eval_mode='11points', use_legacy_coordinate=False)
test_evaluator = val_evaluator
