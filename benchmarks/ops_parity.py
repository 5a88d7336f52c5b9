"""Parity of the mmcv-lite stand-in (torchvision-backed NMS and RoIAlign) with compiled mmcv 2.1.0.

    python benchmarks/ops_parity.py [--rois 200] [--trials 5]

Needs the compiled mmcv (``bash tools/install.sh --mmcv-ops``): its ``mmcv._ext`` is the reference, and the
stand-in's functions (:class:`mmssl_transfer.compat.LiteOpsExtension`) are called on the same random inputs:
RoIAlign forward and input gradient (aligned and legacy, several sampling ratios and scales), NMS keeps and
their order (plain, legacy offset=1, tied scores, IoUs exactly at the threshold, and ``batched_nms``), sigmoid
focal loss where mmcv has a kernel for the device. Runs on CPU, and on CUDA too when a GPU is present. Prints
the max absolute difference per case and exits 1 when any differs by more than ``--atol`` (0 by default: the
claim is bit-identical).
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable

import torch
from rich.console import Console
from rich.table import Table

from mmssl_transfer.compat import LiteOpsExtension, mmcv_ops_flavour


def random_rois(n: int, batch: int, height: int, width: int, scale: float, gen: torch.Generator) -> torch.Tensor:
    """``(n, 5)`` RoIs in image coordinates, some tiny, some partly outside the feature map."""
    x1 = torch.rand(n, generator=gen) * width / scale
    y1 = torch.rand(n, generator=gen) * height / scale
    w = torch.rand(n, generator=gen) * width / scale * 0.6 + 0.1
    h = torch.rand(n, generator=gen) * height / scale * 0.6 + 0.1
    idx = torch.randint(0, batch, (n,), generator=gen).float()
    return torch.stack([idx, x1, y1, x1 + w, y1 + h], 1)


def roi_align_both(ext: object, feat: torch.Tensor, rois: torch.Tensor, grad_out: torch.Tensor, size: int,
                   scale: float, ratio: int, aligned: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward output and input gradient of ``ext``'s RoIAlign (avg mode)."""
    kwargs = dict(aligned_height=size, aligned_width=size, spatial_scale=scale, sampling_ratio=ratio, pool_mode=1,
                  aligned=aligned)
    empty = feat.new_zeros(0)
    out = feat.new_zeros(rois.shape[0], feat.shape[1], size, size)
    ext.roi_align_forward(feat, rois, out, empty, empty, **kwargs)
    grad = torch.zeros_like(feat)
    ext.roi_align_backward(grad_out, rois, empty, empty, grad, **kwargs)
    return out, grad


def random_boxes(n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    xy = torch.rand(n, 2, generator=gen) * 200
    wh = torch.rand(n, 2, generator=gen) * 60 + 1
    return torch.cat([xy, xy + wh], 1), torch.rand(n, generator=gen)


def compare(cases: list[tuple[str, Callable[[object], list[torch.Tensor]]]], real: object, lite: object,
            device: str) -> list[tuple[str, str, float, str]]:
    rows = []
    for name, run in cases:
        ours, theirs = run(lite), run(real)
        diff = 0.0
        for a, b in zip(ours, theirs):
            if a.dtype in (torch.long, torch.int32) or b.dtype in (torch.long, torch.int32):
                same = a.shape == b.shape and torch.equal(a.long(), b.long())
                diff = max(diff, 0.0 if same else float('inf'))
            else:
                diff = max(diff, float((a - b).abs().max()) if a.numel() else 0.0)
        detail = f'{ours[0].shape[0]} kept' if ours[0].dtype == torch.long else 'output + grad'
        rows.append((device, name, diff, detail))
    return rows


def cases_for(device: str, args: argparse.Namespace) -> list[tuple[str, Callable[[object], list[torch.Tensor]]]]:
    gen = torch.Generator().manual_seed(args.seed)
    cases = []
    for trial in range(args.trials):
        feat = torch.randn(2, 16, 50, 60, generator=gen).to(device)
        grad_out = torch.randn(args.rois, 16, 7, 7, generator=gen).to(device)
        for scale, ratio, aligned in ((0.25, 0, True), (0.125, 2, True), (0.25, 0, False), (1 / 32, 1, False)):
            rois = random_rois(args.rois, 2, 50, 60, scale, gen).to(device)
            cases.append((f'roi_align s={scale:g} ratio={ratio} aligned={aligned} #{trial}',
                          lambda ext, f=feat, r=rois, g=grad_out, s=scale, q=ratio, a=aligned:
                          list(roi_align_both(ext, f, r, g, 7, s, q, a))))
        boxes, scores = random_boxes(args.rois * 5, gen)
        boxes, scores = boxes.to(device), scores.to(device)
        tied = (scores * 8).floor() / 8  # many equal scores: the visiting order of ties matters
        grid = (boxes / 4).round() * 4  # boxes on a grid: IoUs exactly at the threshold occur
        for offset in (0, 1):
            cases.append((f'nms offset={offset} #{trial}',
                          lambda ext, b=boxes, s=scores, o=offset: [ext.nms(b, s, iou_threshold=0.5, offset=o)]))
            cases.append((f'nms offset={offset} tied scores, grid boxes #{trial}',
                          lambda ext, b=grid, s=tied, o=offset: [ext.nms(b, s, iou_threshold=0.5, offset=o)]))
        if device == 'cuda':  # mmcv has no CPU kernel for sigmoid focal loss
            logits = torch.randn(512, 20, generator=gen).to(device)
            target = torch.randint(0, 21, (512,), generator=gen).to(device)

            def focal(ext, x=logits, t=target):
                out, grad = torch.zeros_like(x), torch.zeros_like(x)
                ext.sigmoid_focal_loss_forward(x, t, x.new_zeros(0), out, gamma=2.0, alpha=0.25)
                ext.sigmoid_focal_loss_backward(x, t, x.new_zeros(0), grad, gamma=2.0, alpha=0.25)
                return [out, grad]
            cases.append((f'sigmoid_focal_loss #{trial}', focal))
    return cases


def batched_nms_keeps(device: str, seed: int) -> tuple[str, str, float, str]:
    """mmcv.ops.batched_nms through the installed mmcv vs through the stand-in (swapped into mmcv.ops.nms)."""
    import importlib
    mmcv_nms = importlib.import_module('mmcv.ops.nms')  # the module (mmcv.ops.nms the attribute is the function)
    gen = torch.Generator().manual_seed(seed)
    boxes, scores = random_boxes(1000, gen)
    scores = (scores * 16).floor() / 16  # RPN/RoI scores tie in practice
    labels = torch.randint(0, 20, (1000,), generator=gen)
    boxes, scores, labels = boxes.to(device), scores.to(device), labels.to(device)
    cfg = dict(type='nms', iou_threshold=0.5)
    real = mmcv_nms.batched_nms(boxes, scores, labels, cfg)[1]
    saved, mmcv_nms.ext_module = mmcv_nms.ext_module, LiteOpsExtension()
    try:
        lite = mmcv_nms.batched_nms(boxes, scores, labels, cfg)[1]
    finally:
        mmcv_nms.ext_module = saved
    return device, 'batched_nms (mmcv.ops, 20 classes)', 0.0 if torch.equal(real, lite) else float('inf'), \
        f'{len(lite)} kept'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--rois', type=int, default=200)
    parser.add_argument('--trials', type=int, default=3)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--atol', type=float, default=0.0)
    args = parser.parse_args()
    if mmcv_ops_flavour() != 'compiled':
        print('ops_parity: compiled mmcv is not installed here, so there is nothing to compare the stand-in with; '
              'run it in an environment made by `bash tools/install.sh --mmcv-ops`.', file=sys.stderr)
        return 2
    import mmcv._ext as real
    lite = LiteOpsExtension()
    devices = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        rows += compare(cases_for(device, args), real, lite, device)
        rows.append(batched_nms_keeps(device, args.seed))
    table = Table(title='mmcv-lite stand-in vs compiled mmcv 2.1.0 (max |difference|)')
    for column in ('device', 'case', 'max |diff|', 'compared'):
        table.add_column(column)
    for device, name, diff, detail in rows:
        table.add_row(device, name, f'{diff:.3g}', detail)
    Console(width=120).print(table)
    worst = max(row[2] for row in rows)
    verdict = 'identical' if worst == 0 else ('within atol' if worst <= args.atol else 'DIFFERENT')
    print(f'ops_parity: {len(rows)} cases on {", ".join(devices)}: max |difference| {worst:.3g} ({verdict})')
    return 0 if worst <= args.atol else 1


if __name__ == '__main__':
    sys.exit(main())
