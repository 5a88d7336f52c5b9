# NYUv2 depth (795 train / 654 test labelled frames, the normals task's split and folder; depths/ written by
# tools/prepare_nyuv2_normals.py from nyu_depth_v2_labeled.mat as 16-bit millimetres), trained and tested as the
# normals task (nyuv2_normals.py):
#   train: random short side in (300, 375, 450, 525, 600), ONE per batch as the normals (BatchRandomChoiceResize,
#          draws_per_batch = transfer_task.total_batch_size: the images of an optimizer step share one size on 1
#          or N processes, so no batch is padded), long side <= 1000, whole images, PIL bilinear resize, depth by
#          nearest neighbour (DepthResize); no flip;
#   test:  short side 450 rounded up to a multiple of 8, predictions resized back to 480x640 and compared with
#          the original depth: mmseg's DepthMetric on the Eigen crop ('nyu_crop', rows 45:471, cols 41:601),
#          depths in (1e-3, 10) m, metrics per image then averaged.
# LoadDepthAnnotation's depth_rescale_factor=1e-3 turns the millimetre PNGs into metres (its default 1.0 would
# report every metric in millimetres).
_base_ = ['./nyuv2_normals.py']  # the normals task's folder, split, loaders and samplers; depth's own pipelines
dataset_type = 'NYUv2DepthDataset'
data_root = 'data/nyuv2_normals'
train_scales = [(1000, short) for short in (300, 375, 450, 525, 600)]
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='color_ignore_orientation'),  # as the normals (the paper's PIL)
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    # one scale per total batch (draws_per_batch = transfer_task.total_batch_size), as the normals task's
    dict(type='BatchRandomChoiceResize', scales=train_scales, draws_per_batch=2, resize_type='DepthResize',
         keep_ratio=True, backend='pillow'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='color_ignore_orientation'),
    dict(type='ShortSideResizeToMultiple', short_side=450, max_long_side=1000, size_divisor=8, backend='cv2'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(type=dataset_type, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type=dataset_type, pipeline=test_pipeline))
test_dataloader = val_dataloader
# d1/d2/d3 (% within 1.25^k, higher is better), abs_rel, sq_rel, rmse, rmse_log, log10, silog (lower is better).
# depth_metrics stays unset: mmseg 1.2.2's DepthMetric raises a TypeError whenever it is given (all nine are
# computed without it).
val_evaluator = dict(_delete_=True, type='DepthMetric', min_depth_eval=1e-3, max_depth_eval=10.0, crop_type='nyu_crop')
test_evaluator = val_evaluator
