"""mmdet metric for VOC detection: mean AP over IoU 0.50:0.05:0.95 ("COCO-style" AP), AP50 and AP75.

Registered in mmdet's METRICS as ``VOCMultiIoUMetric``; it collects predictions as mmdet's :class:`VOCMetric`
does and reduces them with :func:`mmssl_transfer.evaluation.functional.voc_ap_over_ious`.
"""
from __future__ import annotations

from typing import Sequence

from mmdet.evaluation.metrics import VOCMetric
from mmdet.registry import METRICS

from ..functional.voc_ap_over_ious import COCO_STYLE_IOU_THRS, voc_ap_over_ious


@METRICS.register_module()
class VOCMultiIoUMetric(VOCMetric):
    """VOC mean AP averaged over IoU 0.50:0.05:0.95, plus AP50 and AP75, in percent.

    It collects predictions exactly as mmdet's :class:`VOCMetric` does (``process`` is inherited) and
    reduces them with :func:`voc_ap_over_ious`.

    Args:
        iou_thrs: IoU thresholds averaged into ``AP``. Defaults to 0.50:0.05:0.95.
        eval_mode: ``'11points'`` (VOC07, the paper's choice) or ``'area'``.
            Defaults to ``'11points'``.
        nproc: Worker processes of ``eval_map``. Defaults to 4.
        per_threshold: Also report every ``APxx``, not only AP, AP50 and AP75.
            Defaults to False.
        use_legacy_coordinate: ``+1`` pixel widths in the IoU (mmdet's integer VOC boxes); False for
            boxes in detectron2's convention (see :func:`voc_ap_over_ious`). Defaults to True.
        collect_device: ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix: Prefix of the metric names. Defaults to ``'pascal_voc'``.

    Examples:
        >>> import numpy as np
        >>> metric = VOCMultiIoUMetric(nproc=1)
        >>> metric.dataset_meta = {'classes': ('cat',)}
        >>> gt = {'bboxes': np.array([[0., 0., 10., 10.]]), 'labels': np.array([0]),
        ...       'bboxes_ignore': np.zeros((0, 4)), 'labels_ignore': np.zeros(0, dtype=int)}
        >>> metric.compute_metrics([(gt, [np.array([[0., 0., 10., 10., 0.9]])])])  # what process() collects
        {'AP': 100.0, 'AP50': 100.0, 'AP75': 100.0}
    """

    def __init__(self,
                 iou_thrs: Sequence[float] = COCO_STYLE_IOU_THRS,
                 eval_mode: str = '11points',
                 nproc: int = 4,
                 per_threshold: bool = False,
                 use_legacy_coordinate: bool = True,
                 collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        iou_thrs = [float(t) for t in iou_thrs]
        for needed in (0.5, 0.75):
            if needed not in iou_thrs:
                raise ValueError(f'iou_thrs must contain {needed} to report AP{round(needed * 100)}, '
                                 f'got {iou_thrs}')
        super().__init__(iou_thrs=iou_thrs, metric='mAP', eval_mode=eval_mode,
                         collect_device=collect_device, prefix=prefix)
        self.nproc = nproc
        self.per_threshold = per_threshold
        self.use_legacy_coordinate = use_legacy_coordinate

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Reduce the collected ``(annotation, per-class detections)`` pairs to AP, AP50, AP75."""
        gts, preds = zip(*results)
        metrics = voc_ap_over_ious(preds, gts, self.iou_thrs, self.eval_mode, self.nproc, self.use_legacy_coordinate)
        if not self.per_threshold:
            metrics = {k: metrics[k] for k in ('AP', 'AP50', 'AP75')}
        return metrics
