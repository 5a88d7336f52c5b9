"""VOC detection AP at several IoU thresholds and its mean over 0.50:0.05:0.95 ("COCO-style" AP).

The transfer paper (Ericsson et al., CVPR 2021, detectron2's PASCAL VOC evaluator) reports, for VOC07 test,
``AP`` = mean over the ten IoU thresholds 0.50, 0.55, ..., 0.95 of the VOC07 11-point mean AP, plus ``AP50``
and ``AP75``, all in percent. :func:`voc_ap_over_ious` computes exactly that with mmdet's own ``eval_map`` (one
call per IoU threshold), on the per-image ground truth and predictions that mmdet's :class:`VOCMetric`
collects: boxes flagged ``difficult`` are ignored (neither true nor false positives, not counted as ground
truth), the IoU is the VOC devkit's (see ``use_legacy_coordinate``), and classes without ground truth do not
enter the class mean.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

import numpy as np

#: IoU thresholds of the AP average: 0.50, 0.55, ..., 0.95.
COCO_STYLE_IOU_THRS: tuple[float, ...] = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))


def voc_ap_over_ious(det_results: Sequence[Sequence[np.ndarray]],
                     annotations: Sequence[dict],
                     iou_thrs: Sequence[float] = COCO_STYLE_IOU_THRS,
                     eval_mode: str = '11points',
                     nproc: int = 4,
                     use_legacy_coordinate: bool = True) -> dict[str, float]:
    """Mean AP (percent) at each IoU threshold and their average, with mmdet's ``eval_map``.

    Args:
        det_results: Per image, per class, an array ``(n, 5)`` of ``x1, y1, x2, y2, score``.
        annotations: Per image, a dict with ``bboxes (k, 4)``, ``labels (k,)`` and the ignored
            (``difficult``) ``bboxes_ignore (m, 4)``, ``labels_ignore (m,)``.
        iou_thrs: IoU thresholds to average over.
        eval_mode: ``'11points'`` (VOC07) or ``'area'`` (VOC12).
        nproc: Worker processes of ``eval_map`` per threshold.
        use_legacy_coordinate: IoU with the VOC devkit's ``+1`` pixel widths (for mmdet's integer VOC boxes).
            False: continuous coordinates, for ground truth in detectron2's convention ``[x1-1, y1-1, x2, y2]``;
            that IoU equals detectron2's evaluator (predictions' ``x1, y1`` + 1 against the XML boxes, ``+1``
            widths). Defaults to True.

    Returns:
        ``{'AP': mean over thresholds, 'AP50': ..., 'AP75': ..., ...}`` with one ``APxx`` per threshold,
        every value in percent.

    Example:
        >>> import numpy as np
        >>> gt = dict(bboxes=np.array([[0., 0., 9., 9.]]), labels=np.array([0]),
        ...           bboxes_ignore=np.zeros((0, 4)), labels_ignore=np.zeros((0,), dtype=int))
        >>> perfect = [[np.array([[0., 0., 9., 9., 0.9]])]]
        >>> voc_ap_over_ious(perfect, [gt], nproc=1)['AP']
        100.0
    """
    from mmdet.evaluation.functional import eval_map

    metrics: OrderedDict[str, float] = OrderedDict()
    per_threshold = []
    for iou_thr in iou_thrs:
        mean_ap, _ = eval_map(
            det_results,
            annotations,
            iou_thr=iou_thr,
            dataset=None,
            logger='silent',
            nproc=nproc,
            eval_mode=eval_mode,
            use_legacy_coordinate=use_legacy_coordinate)
        per_threshold.append(100.0 * float(mean_ap))
        metrics[f'AP{round(iou_thr * 100):02d}'] = per_threshold[-1]
    metrics['AP'] = float(np.mean(per_threshold))
    metrics.move_to_end('AP', last=False)
    return dict(metrics)
