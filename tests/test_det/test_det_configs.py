"""The detection configs state the transfer paper's protocol (DESIGN.md section 3) where a reader sees it."""
from pathlib import Path

import pytest
from mmengine.config import Config

CONFIGS = Path(__file__).parents[2] / 'configs'


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
