"""Where mmdet's defaults differ from detectron2's (the paper's detection framework: ssl-transfer
``detectron2-configs/*.yaml`` on detectron2's ``Base-RCNN-FPN.yaml``), the det configs take detectron2's rule; each
test checks the config against a transcription of detectron2's code:

* RPN matching: ``detectron2/modeling/matcher.py`` ``Matcher(thresholds=[0.3, 0.7], labels=[0, -1, 1],
  allow_low_quality_matches=True)`` (``rpn.py``, ``MODEL.RPN.IOU_THRESHOLDS/IOU_LABELS`` defaults);
* FPN and box-head FC init: ``fvcore.nn.weight_init.c2_xavier_fill`` (``kaiming_uniform_(w, a=1)``, bias 0), used
  by ``detectron2/modeling/backbone/fpn.py`` and ``roi_heads/box_head.py``;
* resize: ``detectron2/data/transforms/augmentation_impl.py`` ``ResizeShortestEdge.get_output_shape`` and
  ``transform.py`` ``ResizeTransform.apply_image`` (PIL, ``Image.BILINEAR``).
"""
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.model import initialize
from PIL import Image

from mmssl_transfer.project_files import configs_dir


@pytest.fixture(scope='module')
def det_cfg():
    return Config.fromfile(str(configs_dir() / 'det' / 'byol_frozen_voc.py'))


def _detectron2_rpn_labels(iou: torch.Tensor) -> torch.Tensor:
    """matcher.py Matcher.__call__ + set_low_quality_matches_: 1 positive, 0 negative, -1 ignored per anchor."""
    thresholds, labels = [-float('inf'), 0.3, 0.7, float('inf')], [0, -1, 1]
    matched_vals, _ = iou.max(dim=0)
    match_labels = torch.ones(iou.shape[1], dtype=torch.int64)
    for label, low, high in zip(labels, thresholds[:-1], thresholds[1:]):
        match_labels[(matched_vals >= low) & (matched_vals < high)] = label
    highest_quality_foreach_gt, _ = iou.max(dim=1)
    _, best = torch.nonzero(iou == highest_quality_foreach_gt[:, None], as_tuple=True)
    match_labels[best] = 1
    return match_labels


def _mmdet_rpn_labels(assigner_cfg, iou: torch.Tensor) -> torch.Tensor:
    from mmdet.registry import TASK_UTILS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    assigner = TASK_UTILS.build(assigner_cfg)
    result = assigner.assign_wrt_overlaps(iou, torch.zeros(iou.shape[0], dtype=torch.long))
    gt_inds = result.gt_inds
    return torch.where(gt_inds > 0, 1, torch.where(gt_inds == 0, 0, -1))


@pytest.mark.parametrize('seed', range(4))
def test_rpn_matches_like_detectron2_low_quality_matches_at_any_iou(det_cfg, seed):
    gen = torch.Generator().manual_seed(seed)
    iou = torch.rand(6, 200, generator=gen) * 0.9 * (torch.rand(6, 200, generator=gen) < 0.2)  # mostly apart
    iou[0] *= 0.25 / iou[0].max()  # a ground truth whose best anchor overlaps it by 0.25 (< mmdet's 0.3 floor)
    iou[1:, iou[0].argmax()] = 0.0  # and no other ground truth
    iou[1, :5] = iou[1].max()  # tied best anchors: all of them positive in both
    assigner = det_cfg.model.train_cfg.rpn.assigner
    assert assigner.min_pos_iou == 0.0 and assigner.match_low_quality and assigner.get('gt_max_assign_all', True)
    assert torch.equal(_mmdet_rpn_labels(assigner, iou), _detectron2_rpn_labels(iou))
    mmdet_default = dict(assigner, min_pos_iou=0.3)  # mmdet's floor leaves that ground truth without an anchor
    assert not torch.equal(_mmdet_rpn_labels(mmdet_default, iou), _detectron2_rpn_labels(iou))


def _c2_xavier_fill(module: torch.nn.Module) -> None:
    """fvcore weight_init.c2_xavier_fill."""
    torch.nn.init.kaiming_uniform_(module.weight, a=1)
    if module.bias is not None:
        torch.nn.init.constant_(module.bias, 0)


@pytest.mark.parametrize('layer', [lambda: torch.nn.Conv2d(16, 8, 3), lambda: torch.nn.Linear(32, 12)])
def test_the_init_config_is_c2_xavier_fill(det_cfg, layer):
    ours, theirs = layer(), layer()
    torch.manual_seed(0)
    initialize(ours, dict(det_cfg.model.neck.init_cfg))
    torch.manual_seed(0)
    _c2_xavier_fill(theirs)
    assert torch.equal(ours.weight, theirs.weight) and torch.equal(ours.bias, theirs.bias)


def test_fpn_and_box_head_fcs_are_initialised_with_c2_xavier_fill_and_predictors_as_detectron2(det_cfg):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    torch.manual_seed(0)
    neck, head = MODELS.build(det_cfg.model.neck), MODELS.build(det_cfg.model.roi_head.bbox_head)
    neck.init_weights()
    head.init_weights()
    neck.requires_grad_(False)
    head.requires_grad_(False)
    layers = [m.conv for m in [*neck.lateral_convs, *neck.fpn_convs]] + list(head.shared_fcs)
    for layer in layers:
        bound = math.sqrt(3 / layer.weight[0].numel())  # kaiming_uniform_ a=1: gain 1, fan_in
        assert 0.95 * bound < layer.weight.abs().max() <= bound and not layer.bias.any()
    # fast_rcnn.py FastRCNNOutputLayers: normal std 0.01 (cls_score) and 0.001 (bbox_pred), bias 0
    assert head.fc_cls.weight.std() == pytest.approx(0.01, rel=0.1) and not head.fc_cls.bias.any()
    assert head.fc_reg.weight.std() == pytest.approx(0.001, rel=0.1) and not head.fc_reg.bias.any()


def _detectron2_resize(image: np.ndarray, short: int, max_size: int) -> np.ndarray:
    """ResizeShortestEdge.get_output_shape + ResizeTransform.apply_image (uint8: PIL, BILINEAR)."""
    h, w = image.shape[:2]
    size = short * 1.0
    scale = size / min(h, w)
    newh, neww = (size, scale * w) if h < w else (scale * h, size)
    if max(newh, neww) > max_size:
        scale = max_size * 1.0 / max(newh, neww)
        newh, neww = newh * scale, neww * scale
    newh, neww = int(newh + 0.5), int(neww + 0.5)
    return np.asarray(Image.fromarray(image).resize((neww, newh), Image.BILINEAR))


@pytest.mark.parametrize('size', [(375, 500), (500, 333), (221, 640)])
def test_resize_is_detectron2s_pil_bilinear_resize_shortest_edge(det_cfg, size):
    from mmdet.registry import TRANSFORMS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    image = np.random.default_rng(0).integers(0, 256, (*size, 3), dtype=np.uint8)
    test_resize = TRANSFORMS.build(det_cfg.test_dataloader.dataset.pipeline[1])
    out = test_resize(dict(img=image.copy(), img_shape=size, ori_shape=size))['img']
    assert np.array_equal(out, _detectron2_resize(image, 800, 1333))  # Base-RCNN-FPN MIN_SIZE_TEST 800, MAX 1333
    train_resize = det_cfg.train_dataloader.dataset.datasets[0].pipeline[2]
    assert (train_resize.type, train_resize.backend, train_resize.interpolation) == (
        'RandomChoiceResize', 'pillow', 'bilinear')
    train = TRANSFORMS.build(dict(train_resize, scales=[(1333, 480)]))
    out = train(dict(img=image.copy(), img_shape=size, ori_shape=size))['img']
    assert np.array_equal(out, _detectron2_resize(image, 480, 1333))


def _detectron2_voc_boxes(xml_path) -> list[list[float]]:
    """detectron2/data/datasets/pascal_voc.py load_voc_instances: float corners, x1 and y1 minus 1."""
    import xml.etree.ElementTree as ET
    boxes = []
    for obj in ET.parse(xml_path).findall('object'):
        bbox = obj.find('bndbox')
        bbox = [float(bbox.find(x).text) for x in ['xmin', 'ymin', 'xmax', 'ymax']]
        bbox[0] -= 1.0
        bbox[1] -= 1.0
        boxes.append(bbox)
    return boxes


@pytest.mark.parametrize('loader', ['train', 'test'])
def test_voc_boxes_are_read_as_detectron2_reads_them(det_cfg, toy_voc, loader):
    from mmdet.registry import DATASETS
    from mmengine.registry import init_default_scope

    import mmssl_transfer.datasets  # noqa: F401
    init_default_scope('mmdet')
    cfg = det_cfg[f'{loader}_dataloader'].dataset
    cfg = cfg.datasets[0] if loader == 'train' else cfg
    assert cfg.box_convention == 'detectron2'
    dataset = DATASETS.build(dict(cfg, data_root=str(toy_voc), pipeline=[]))
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        ours = [inst['bbox'] for inst in info['instances']]
        assert ours == _detectron2_voc_boxes(info['xml_path']) and ours
    mmdet = DATASETS.build(dict(cfg, data_root=str(toy_voc), pipeline=[], box_convention='mmdet'))
    info = mmdet.get_data_info(0)  # mmdet's xml_style.py: int, minus 1 on all four
    assert [inst['bbox'] for inst in info['instances']] == [
        [int(v) - 1 for v in (b[0] + 1, b[1] + 1, b[2], b[3])] for b in _detectron2_voc_boxes(info['xml_path'])]
    with pytest.raises(ValueError, match='box_convention'):
        DATASETS.build(dict(cfg, data_root=str(toy_voc), pipeline=[], box_convention='coco'))


def _detectron2_eval_iou(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """pascal_voc_evaluation.py: predictions written with xmin + 1, ymin + 1, then voc_eval's IoU (+1 widths)
    against the XML's integer boxes."""
    pred = pred.copy()
    pred[:, :2] += 1
    ixmin = np.maximum(gt[None, :, 0], pred[:, None, 0])
    iymin = np.maximum(gt[None, :, 1], pred[:, None, 1])
    ixmax = np.minimum(gt[None, :, 2], pred[:, None, 2])
    iymax = np.minimum(gt[None, :, 3], pred[:, None, 3])
    iw = np.maximum(ixmax - ixmin + 1.0, 0.0)
    ih = np.maximum(iymax - iymin + 1.0, 0.0)
    inters = iw * ih
    uni = ((pred[:, None, 2] - pred[:, None, 0] + 1.0) * (pred[:, None, 3] - pred[:, None, 1] + 1.0)
           + (gt[None, :, 2] - gt[None, :, 0] + 1.0) * (gt[None, :, 3] - gt[None, :, 1] + 1.0) - inters)
    return inters / uni


def test_the_metric_iou_on_detectron2_boxes_is_detectron2s_evaluator_iou(det_cfg):
    from mmdet.evaluation.functional import bbox_overlaps
    rng = np.random.default_rng(0)
    xml = np.sort(rng.integers(1, 200, (8, 2, 2)), axis=1).transpose(0, 2, 1).reshape(8, 4)[:, [0, 2, 1, 3]]
    xml = xml.astype(float)  # VOC XML corners: 1-based inclusive integers
    ours_gt = np.stack([xml[:, 0] - 1, xml[:, 1] - 1, xml[:, 2], xml[:, 3]], 1)  # box_convention='detectron2'
    pred = xml[rng.integers(0, 8, 30)] + rng.normal(0, 4, (30, 4))
    assert det_cfg.test_evaluator.use_legacy_coordinate is False
    ours = bbox_overlaps(pred, ours_gt, use_legacy_coordinate=False)
    assert np.allclose(ours, _detectron2_eval_iou(pred, xml), atol=1e-6)  # eval_map computes in float32


def test_the_mmdet_defaults_variant_restores_mmdets_own_choices():
    import mmdet as mmdet_package

    from mmssl_transfer.apis.variants import load_with_variants
    mmdet_configs = Path(mmdet_package.__file__).parent / '.mim' / 'configs'
    mmdet = Config.fromfile(str(mmdet_configs / '_base_' / 'models' / 'faster-rcnn_r50_fpn.py')).model
    cfg = load_with_variants(configs_dir() / 'det' / 'byol_frozen_voc.py', ['mmdet-defaults'])
    assert cfg.model.train_cfg.rpn.assigner == mmdet.train_cfg.rpn.assigner
    assert cfg.model.neck.init_cfg == dict(type='Xavier', layer='Conv2d', distribution='uniform')  # fpn.py default
    loaders = [*cfg.train_dataloader.dataset.datasets, cfg.test_dataloader.dataset, cfg.val_dataloader.dataset]
    assert {d.box_convention for d in loaders} == {'mmdet'}
    assert {s.backend for d in loaders for s in d.pipeline if 'Resize' in s.type} == {'cv2'}
    assert cfg.test_evaluator.use_legacy_coordinate is True and cfg.transfer_task.variant == 'mmdet-defaults'
