"""The detection configs state the transfer paper's protocol (DESIGN.md section 3) where a reader sees it.

Each pinned number cites the paper's code, github.com/linusericsson/ssl-transfer at commit 416913f
("ssl-transfer@416913f"), and detectron2's defaults (github.com/facebookresearch/detectron2,
detectron2/config/defaults.py; the same values in the 2020 releases the paper used).
"""
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
    # ssl-transfer@416913f detectron2-configs/frozen/byol.yaml L8 FREEZE_AT 4 (stem + res2..res4 = mmdet stages
    # 1-3); detectron2-configs/finetune/byol.yaml L8 FREEZE_AT 0
    assert backbone.frozen_stages == {'frozen': 3, 'finetune': -1}[protocol]
    assert backbone.norm_cfg == dict(type='BN', requires_grad=False) and backbone.norm_eval is True
    assert (backbone.method, backbone.checkpoint) == ('byol', 'byol')
    # IMS_PER_BATCH 2 (byol.yaml L23) is the total batch; the single-process batch equals it
    assert cfg.transfer_task == dict(task='det', dataset='voc0712', protocol=protocol, primary_metric='AP',
                                     variant='paper', total_batch_size=2)
    assert cfg.train_dataloader.batch_size == 2


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
    assert cfg.test_evaluator.type == 'VOCMultiIoUMetric' and cfg.test_evaluator.eval_mode == '11points'


def test_schedule_is_the_papers_detectron2_solver(det_cfg):
    _, cfg = det_cfg
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'SGD'
    assert optimizer.lr == 0.0025  # ssl-transfer@416913f detectron2-configs/frozen/byol.yaml L22 BASE_LR
    assert cfg.train_dataloader.batch_size == 2 and cfg.auto_scale_lr.base_batch_size == 2  # byol.yaml L23
    assert cfg.train_cfg.max_iters == 144000  # byol.yaml L25 MAX_ITER
    # detectron2/config/defaults.py: SOLVER.MOMENTUM 0.9, WEIGHT_DECAY 1e-4, WEIGHT_DECAY_BIAS None (= WEIGHT_DECAY)
    # and BIAS_LR_FACTOR 1.0: one SGD group, decay on every parameter
    assert optimizer.momentum == 0.9 and optimizer.weight_decay == 1e-4
    assert 'paramwise_cfg' not in cfg.optim_wrapper
    warmup, steps = cfg.param_scheduler
    # byol.yaml L26 WARMUP_ITERS 100; defaults.py WARMUP_FACTOR 1/1000, WARMUP_METHOD 'linear'
    assert (warmup.type, warmup.start_factor, warmup.begin, warmup.end, warmup.by_epoch) == (
        'LinearLR', 0.001, 0, 100, False)
    # byol.yaml L24 STEPS (96000, 128000); defaults.py GAMMA 0.1
    assert (steps.type, steps.milestones, steps.gamma, steps.end, steps.by_epoch) == (
        'MultiStepLR', [96000, 128000], 0.1, 144000, False)


def test_training_sets_train_on_difficult_boxes_and_the_test_set_does_not(det_cfg):
    _, cfg = det_cfg
    # detectron2/data/datasets/pascal_voc.py: "We include 'difficult' samples in training" (the check is
    # commented out); ssl-transfer@416913f detectron2-configs/frozen/byol.yaml L19 voc_2007/2012_trainval
    assert [d.train_on_difficult for d in cfg.train_dataloader.dataset.datasets] == [True, True]
    assert not cfg.test_dataloader.dataset.get('train_on_difficult', False)


@pytest.mark.parametrize('method, mean, std', [
    # ssl-transfer@416913f detectron2-configs/frozen/simclr-v1.yaml L4-5 (and simclr-v2.yaml): [0, 1] input
    ('simclrv1', [0.0] * 3, [255.0] * 3), ('simclrv2', [0.0] * 3, [255.0] * 3),
    # detectron2-configs/frozen/byol.yaml L4-5: ImageNet mean/std
    ('byol', [123.675, 116.28, 103.53], [58.395, 57.12, 57.375])])
def test_input_normalisation_is_the_papers_detectron2_pixel_mean_and_std(method, mean, std):
    for protocol in ('frozen', 'finetune'):
        cfg = Config.fromfile(str(CONFIGS / 'det' / f'{method}_{protocol}_voc.py'))
        assert cfg.model.data_preprocessor.mean == pytest.approx(mean)
        assert cfg.model.data_preprocessor.std == pytest.approx(std)


def test_named_variants_change_only_what_they_name():
    from mmssl_transfer.apis.variants import load_with_variants
    paper = load_with_variants(CONFIGS / 'det' / 'simclrv1_frozen_voc.py', [])
    scaled = load_with_variants(CONFIGS / 'det' / 'simclrv1_frozen_voc.py', ['bs16-linear-scaling'])
    # the paper's schedule linearly rescaled to 8 GPUs x 2 images: lr x8, iterations and steps / 8
    assert scaled.transfer_task.variant == 'bs16-linear-scaling' and scaled.transfer_task.total_batch_size == 16
    assert scaled.train_dataloader.batch_size == 16 and scaled.auto_scale_lr.base_batch_size == 16
    assert scaled.optim_wrapper.optimizer.lr == pytest.approx(paper.optim_wrapper.optimizer.lr * 8)
    assert scaled.train_cfg.max_iters == paper.train_cfg.max_iters // 8
    assert scaled.param_scheduler[1].milestones == [m // 8 for m in paper.param_scheduler[1].milestones]
    assert scaled.param_scheduler[0] == paper.param_scheduler[0]
    assert scaled.model == paper.model and scaled.train_dataloader.dataset == paper.train_dataloader.dataset
    ignored = load_with_variants(CONFIGS / 'det' / 'simclrv1_frozen_voc.py', ['mmdet-ignore-difficult'])
    assert [d.train_on_difficult for d in ignored.train_dataloader.dataset.datasets] == [False, False]
    assert ignored.optim_wrapper == paper.optim_wrapper
    imagenet = load_with_variants(CONFIGS / 'det' / 'simclrv1_frozen_voc.py', ['imagenet-input'])
    assert imagenet.model.data_preprocessor.std == pytest.approx([58.395, 57.12, 57.375])
    assert imagenet.model.backbone == paper.model.backbone


def test_faster_rcnn_base_is_mmdets_own_with_the_ssl_backbone_and_20_classes():
    cfg = Config.fromfile(str(CONFIGS / '_base_' / 'models' / 'faster-rcnn_ssl_r50_fpn.py'))
    assert cfg.filename.endswith('faster-rcnn_ssl_r50_fpn.py')
    model = cfg.model.to_dict()
    assert model.pop('_scope_') == 'mmdet'  # mmengine marks what it inherits from mmdet's package
    # detectron2's rules where mmdet's defaults differ (checked in test_detectron2_rules.py): c2_xavier_fill init
    # of the FPN and the box head's FCs, RPN low-quality matches at any IoU
    assert model['neck'].pop('init_cfg')['type'] == 'Kaiming'
    assert [c['override']['name'] for c in model['roi_head']['bbox_head'].pop('init_cfg')] == [
        'fc_cls', 'fc_reg', 'shared_fcs']
    assert model['train_cfg']['rpn']['assigner']['min_pos_iou'] == 0.0
    model['train_cfg']['rpn']['assigner']['min_pos_iou'] = 0.3  # mmdet's
    assert model == EXPECTED_MODEL
    with open(CONFIGS / '_base_' / 'models' / 'faster-rcnn_ssl_r50_fpn.py', encoding='utf-8') as f:
        assert "_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'" in f.read()
