"""The mmcv-lite stand-in for ``mmcv._ext`` (mmssl_transfer.compat): semantics pinned on hand-made cases.

The functions are called directly on a :class:`LiteOpsExtension` instance, so these tests hold whichever mmcv is
installed; ``benchmarks/ops_parity.py`` compares them with compiled mmcv on random inputs.
"""
import subprocess
import sys

import pytest
import torch
from mmdet.models.losses.focal_loss import py_sigmoid_focal_loss

from mmssl_transfer.compat import LiteOpsExtension, LiteOpsUnavailable, mmcv_ops_flavour

EXT = LiteOpsExtension()


def roi_align(feat, rois, size, scale=1.0, sampling_ratio=0, aligned=True):
    out = feat.new_zeros(rois.shape[0], feat.shape[1], *size)
    EXT.roi_align_forward(feat, rois, out, feat.new_zeros(0), feat.new_zeros(0), aligned_height=size[0],
                          aligned_width=size[1], spatial_scale=scale, sampling_ratio=sampling_ratio, pool_mode=1,
                          aligned=aligned)
    return out


def roi_align_grad(feat, rois, grad_out, scale=1.0, sampling_ratio=0, aligned=True):
    grad = torch.zeros_like(feat)
    EXT.roi_align_backward(grad_out, rois, feat.new_zeros(0), feat.new_zeros(0), grad,
                           aligned_height=grad_out.shape[2], aligned_width=grad_out.shape[3], spatial_scale=scale,
                           sampling_ratio=sampling_ratio, pool_mode=1, aligned=aligned)
    return grad


def test_roi_over_a_constant_region_returns_the_constant():
    feat = torch.full((2, 3, 16, 16), 5.0)
    feat[1] = -2.0
    rois = torch.tensor([[0., 2., 3., 9., 12.], [1., 0., 0., 15., 15.], [1., 4.5, 4.5, 5.5, 5.5]])
    out = roi_align(feat, rois, (3, 3))
    assert torch.equal(out[0], torch.full((3, 3, 3), 5.0))
    assert torch.equal(out[1:], torch.full((2, 3, 3, 3), -2.0))


def test_aligned_shifts_sampling_by_half_a_pixel():
    # a horizontal ramp f(x, y) = x: the average over a RoI is the mean x of its sample points
    feat = torch.arange(10.).repeat(10, 1).view(1, 1, 10, 10)
    rois = torch.tensor([[0., 2., 2., 6., 6.]])
    # aligned: pixel centres at integer coordinates, the box [2, 6] samples x in [1.5, 5.5] -> mean 3.5
    assert roi_align(feat, rois, (1, 1), aligned=True).item() == pytest.approx(3.5)
    # legacy (aligned=False): the box itself [2, 6] -> mean 4
    assert roi_align(feat, rois, (1, 1), aligned=False).item() == pytest.approx(4.0)


def test_spatial_scale_maps_image_boxes_to_the_feature_map():
    feat = torch.arange(10.).repeat(10, 1).view(1, 1, 10, 10)
    at_scale = roi_align(feat, torch.tensor([[0., 8., 8., 24., 24.]]), (2, 2), scale=0.25)
    on_map = roi_align(feat, torch.tensor([[0., 2., 2., 6., 6.]]), (2, 2))
    assert torch.equal(at_scale, on_map)


def test_roi_align_gradient_is_the_adjoint_of_the_forward():
    torch.manual_seed(0)
    feat = torch.randn(2, 4, 12, 14, dtype=torch.float64)
    rois = torch.tensor([[0., 1.3, 2.2, 9.1, 7.7], [1., 0., 0., 13., 11.], [0., 5., 5., 5.5, 6.]],
                        dtype=torch.float64)
    grad_out = torch.randn(3, 4, 2, 3, dtype=torch.float64)
    # <grad_out, A feat> == <A^T grad_out, feat> for the linear map A
    lhs = (grad_out * roi_align(feat, rois, (2, 3))).sum()
    rhs = (roi_align_grad(feat, rois, grad_out) * feat).sum()
    assert lhs.item() == pytest.approx(rhs.item(), rel=1e-10)


def test_empty_rois_and_empty_boxes_are_no_ops():
    feat = torch.ones(1, 2, 4, 4)
    assert roi_align(feat, torch.zeros(0, 5), (2, 2)).shape == (0, 2, 2, 2)
    assert torch.equal(roi_align_grad(feat, torch.zeros(0, 5), torch.zeros(0, 2, 2, 2)), torch.zeros_like(feat))
    keep = EXT.nms(torch.zeros(0, 4), torch.zeros(0), iou_threshold=0.5, offset=0)
    assert keep.dtype == torch.long and keep.numel() == 0


def test_nms_keeps_the_known_boxes_in_score_order():
    boxes = torch.tensor([[0., 0., 10., 10.],     # kept (best)
                          [20., 20., 30., 30.],   # kept, disjoint
                          [1., 1., 10., 10.],     # IoU 0.81 with box 0 -> removed
                          [0., 0., 10., 6.],      # IoU 0.6 with box 0 -> kept at threshold 0.7
                          [21., 21., 31., 31.]])  # IoU 0.68 with box 1 -> kept at 0.7, removed at 0.5
    scores = torch.tensor([0.9, 0.3, 0.8, 0.7, 0.2])
    assert EXT.nms(boxes, scores, iou_threshold=0.7, offset=0).tolist() == [0, 3, 1, 4]
    assert EXT.nms(boxes, scores, iou_threshold=0.5, offset=0).tolist() == [0, 1]


def test_nms_compares_the_iou_with_the_threshold_in_float32_as_mmcvs_cpu_kernel():
    boxes = torch.tensor([[0., 0., 10., 10.], [0., 0., 10., 5.]])  # IoU exactly 0.5: kept (suppressed if > t)
    assert EXT.nms(boxes, torch.tensor([0.9, 0.8]), iou_threshold=0.5, offset=0).tolist() == [0, 1]
    assert EXT.nms(boxes, torch.tensor([0.9, 0.8]), iou_threshold=0.49, offset=0).tolist() == [0]
    # IoU 3/10 computed in float32 is float32(0.3) > 0.3: torchvision alone would suppress, mmcv (float t) keeps
    boxes = torch.tensor([[0., 0., 10., 10.], [0., 0., 10., 3.]])
    assert (torch.tensor(30.) / torch.tensor(100.)).item() > 0.3
    assert EXT.nms(boxes, torch.tensor([0.9, 0.8]), iou_threshold=0.3, offset=0).tolist() == [0, 1]


def test_nms_visits_equal_scores_in_mmcvs_sort_order():
    torch.manual_seed(0)
    xy = torch.rand(300, 2) * 100
    boxes = torch.cat([xy, xy + 20], 1)
    scores = torch.randint(0, 5, (300,)).float() / 5  # many ties
    order = scores.sort(0, descending=True)[1]  # the call mmcv's kernel makes
    keep = EXT.nms(boxes, scores, iou_threshold=0.3, offset=0)
    positions = torch.argsort(order)[keep]  # where each kept box sits in mmcv's visiting order
    assert torch.all(positions[1:] > positions[:-1])
    # and greedy NMS in that order, written out, keeps exactly these boxes
    iou = box_iou(boxes, boxes)
    kept: list[int] = []
    for i in order.tolist():
        if all(iou[i, j] <= torch.tensor(0.3) for j in kept):
            kept.append(i)
    assert keep.tolist() == kept


def box_iou(a, b):
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(2)
    area = (a[:, 2:] - a[:, :2]).prod(1)
    return inter / (area[:, None] + area[None, :] - inter)


def test_nms_legacy_offset_counts_boxes_one_pixel_larger():
    boxes = torch.tensor([[0., 0., 9., 9.], [0., 0., 9., 4.]])  # offset 1: areas 100 and 50, IoU 0.5
    scores = torch.tensor([0.9, 0.8])
    assert EXT.nms(boxes, scores, iou_threshold=0.49, offset=1).tolist() == [0]
    assert EXT.nms(boxes, scores, iou_threshold=0.5, offset=1).tolist() == [0, 1]
    # offset 0: areas 81 and 36, IoU 36/81 = 0.44 -> kept at 0.45
    assert EXT.nms(boxes, scores, iou_threshold=0.45, offset=0).tolist() == [0, 1]


def test_sigmoid_focal_loss_matches_mmdets_python_formula_and_its_gradient():
    torch.manual_seed(0)
    logits = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    target = torch.tensor([0, 4, 2, 5, 1, 3])  # 5 == num_classes: background
    class_weight = torch.rand(5, dtype=torch.float64)
    for weight in (torch.zeros(0, dtype=torch.float64), class_weight):
        out = torch.zeros_like(logits)
        EXT.sigmoid_focal_loss_forward(logits.detach(), target, weight, out, gamma=2.0, alpha=0.25)
        one_hot = torch.nn.functional.one_hot(target, 6)[:, :5].to(logits)
        reference = py_sigmoid_focal_loss(logits, one_hot, gamma=2.0, alpha=0.25, reduction='none')
        if weight.numel():
            reference = reference * weight[target.clamp(max=4)].unsqueeze(1)
        assert torch.allclose(out, reference.detach(), atol=1e-12)
        grad = torch.zeros_like(logits)
        EXT.sigmoid_focal_loss_backward(logits.detach(), target, weight, grad, gamma=2.0, alpha=0.25)
        (expected,) = torch.autograd.grad(reference.sum(), logits)
        assert torch.allclose(grad, expected, atol=1e-10)


def test_ops_it_does_not_serve_fail_loudly_naming_the_full_install():
    with pytest.raises(LiteOpsUnavailable, match=r'`deform_conv_forward`.*install\.sh --mmcv-ops'):
        EXT.deform_conv_forward(torch.zeros(1))
    feat = torch.ones(1, 1, 4, 4)
    with pytest.raises(LiteOpsUnavailable, match='pool_mode="max"'):
        EXT.roi_align_forward(feat, torch.tensor([[0., 0., 0., 3., 3.]]), torch.zeros(1, 1, 2, 2), feat, feat,
                              aligned_height=2, aligned_width=2, spatial_scale=1.0, sampling_ratio=0, pool_mode=0,
                              aligned=True)


def test_mmdet_imports_and_mmcv_ops_run_once_the_package_is_imported():
    # a fresh interpreter: the stand-in must be armed by `import mmssl_transfer` before mmcv.ops is imported
    code = ('import mmssl_transfer, torch, mmdet.models\n'
            'from mmcv.ops import RoIAlign, nms\n'
            'from mmssl_transfer.compat import mmcv_ops_flavour\n'
            'print(mmcv_ops_flavour(), nms(torch.tensor([[0., 0., 4., 4.]]), torch.tensor([1.]), 0.5)[1].tolist(),'
            ' RoIAlign((2, 2), 1.0)(torch.ones(1, 1, 4, 4), torch.tensor([[0., 0., 0., 3., 3.]])).sum().item())')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] in ('lite', 'compiled') and out[0] == mmcv_ops_flavour()
    assert out[1:] == ['[0]', '4.0']
