"""The detection configs state the transfer paper's protocol (DESIGN.md section 3) where a reader sees it."""
from pathlib import Path

import pytest
from mmengine.config import Config

CONFIGS = Path(__file__).parents[2] / 'configs'
#: The detector of the transfer paper as our base file wrote it out before it inherited mmdet's own
#: ``faster-rcnn_r50_fpn.py``: mmdet's Faster R-CNN R50-FPN with SSLResNet and 20 VOC classes.
EXPECTED_MODEL = dict(
    type='FasterRCNN',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='SSLResNet',
        checkpoint=None,
        method='auto',
        depth=50,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True),
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        num_outs=5),
    rpn_head=dict(
        type='RPNHead',
        in_channels=256,
        feat_channels=256,
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[8],
            ratios=[0.5, 1.0, 2.0],
            strides=[4, 8, 16, 32, 64]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='StandardRoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(
            type='Shared2FCBBoxHead',
            in_channels=256,
            fc_out_channels=1024,
            roi_feat_size=7,
            num_classes=20,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.7,
                neg_iou_thr=0.3,
                min_pos_iou=0.3,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=256,
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(
            nms_pre=2000,
            max_per_img=1000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.5,
                min_pos_iou=0.5,
                match_low_quality=False,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=512,
                pos_fraction=0.25,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(
            nms_pre=1000,
            max_per_img=1000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            score_thr=0.05,
            nms=dict(type='nms', iou_threshold=0.5),
            max_per_img=100)))


@pytest.fixture(scope='module', params=['frozen', 'finetune'])
def det_cfg(request):
    return request.param, Config.fromfile(str(CONFIGS / 'det' / f'byol_{request.param}_voc.py'))


def test_backbone_protocol_frozen_vs_finetune_with_bn_frozen_everywhere(det_cfg):
    protocol, cfg = det_cfg
    backbone = cfg.model.backbone
    assert backbone.type == 'SSLResNet'
    assert backbone.frozen_stages == {'frozen': 3, 'finetune': -1}[protocol]
    assert backbone.norm_cfg == dict(type='BN', requires_grad=False) and backbone.norm_eval is True
    assert (backbone.method, backbone.checkpoint) == ('byol', 'byol')
    assert cfg.transfer_task == dict(task='det', dataset='voc0712', protocol=protocol, primary_metric='AP')


def test_model_data_schedule_and_metric(det_cfg):
    _, cfg = det_cfg
    assert cfg.default_scope == 'mmdet'
    assert cfg.model.roi_head.bbox_head.num_classes == 20
    assert cfg.model.data_preprocessor.bgr_to_rgb is True
    train_sets = cfg.train_dataloader.dataset.datasets
    assert [d.ann_file for d in train_sets] == ['VOC2007/ImageSets/Main/trainval.txt',
                                                'VOC2012/ImageSets/Main/trainval.txt']
    assert cfg.test_dataloader.dataset.ann_file == 'VOC2007/ImageSets/Main/test.txt'
    resize = train_sets[0].pipeline[2]
    assert resize.type == 'RandomChoiceResize'
    assert resize.scales == [(1333, s) for s in range(480, 801, 32)]
    assert cfg.test_dataloader.dataset.pipeline[1].scale == (1333, 800)
    assert cfg.train_dataloader.batch_size == 2 and cfg.auto_scale_lr.base_batch_size == 16
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(0.0025 * 8)
    assert cfg.train_cfg.max_iters == 144000 // 8
    warmup, steps = cfg.param_scheduler
    assert (warmup.type, warmup.end) == ('LinearLR', 100)
    assert steps.milestones == [96000 // 8, 128000 // 8]
    assert cfg.test_evaluator.type == 'VOCMultiIoUMetric' and cfg.test_evaluator.eval_mode == '11points'


def test_faster_rcnn_base_is_mmdets_own_with_the_ssl_backbone_and_20_classes():
    cfg = Config.fromfile(str(CONFIGS / '_base_' / 'models' / 'faster-rcnn_ssl_r50_fpn.py'))
    assert cfg.filename.endswith('faster-rcnn_ssl_r50_fpn.py')
    model = cfg.model.to_dict()
    assert model.pop('_scope_') == 'mmdet'  # mmengine marks what it inherits from mmdet's package
    assert model == EXPECTED_MODEL
    with open(CONFIGS / '_base_' / 'models' / 'faster-rcnn_ssl_r50_fpn.py', encoding='utf-8') as f:
        assert "_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'" in f.read()
