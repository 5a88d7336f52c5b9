"""mmseg metric for surface normals: angular errors folded into one fixed-size accumulator per process.

Registered in mmseg's METRICS as ``NormalAngularMetric``; the maths lives in
:mod:`mmssl_transfer.evaluation.functional.angular_error`, this class only gathers data samples. Distributed
evaluation collects one accumulator per process, never the pixels.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmseg.registry import METRICS

from ..functional.angular_error import ANGLE_THRESHOLDS, HISTOGRAM_BIN_DEG, AngularErrorAccumulator, angular_errors

#: Label value of invalid pixels in ``gt_sem_seg`` (mmseg's ignore index).
INVALID_LABEL = 255


@METRICS.register_module()
class NormalAngularMetric(BaseMetric):
    """Mean/median/RMS angular error (degrees) and % of pixels within 11.25/22.5/30 degrees.

    Lower is better for ``mean``, ``median`` and ``rmse``; higher for ``within_11.25``, ``within_22.5``,
    ``within_30``. Reads ``pred_normal_map`` (3xHxW), ``gt_normal_map`` (3xHxW) and the validity of each
    pixel from ``gt_sem_seg`` (``255`` = invalid) of each data sample. Memory is one fixed-size accumulator per
    process whatever the number of images.

    Args:
        thresholds: Angles (degrees) for the "% within" metrics. Defaults to (11.25, 22.5, 30).
        bin_width: Histogram bin (degrees) for the median. Defaults to 0.01.
        collect_device: ``'cpu'`` or ``'gpu'`` for collecting the accumulators. Defaults to ``'cpu'``.
        prefix: Prefix of the metric names. Defaults to None (plain names).

    Examples:
        >>> import torch
        >>> up = torch.zeros(3, 2, 2); up[2] = 1  # every pixel's normal points up, and so does the prediction
        >>> metric = NormalAngularMetric(prefix='normals')
        >>> metric.process(None, [{'pred_normal_map': {'data': up}, 'gt_normal_map': {'data': up},
        ...                        'gt_sem_seg': {'data': torch.zeros(1, 2, 2)}}])
        >>> metric.compute_metrics(metric.results)['within_11.25']
        100.0
    """

    def __init__(self, thresholds: Sequence[float] = ANGLE_THRESHOLDS, bin_width: float = HISTOGRAM_BIN_DEG,
                 collect_device: str = 'cpu', prefix: str | None = None, **kwargs: Any) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, **kwargs)
        self.thresholds = tuple(thresholds)
        self.bin_width = bin_width

    def _new_accumulator(self) -> AngularErrorAccumulator:
        return AngularErrorAccumulator(bin_width=self.bin_width, thresholds=self.thresholds)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Fold one batch into this process's single accumulator (``self.results`` holds at most one)."""
        if not self.results:
            self.results.append(self._new_accumulator())
        accumulator = self.results[0]
        for sample in data_samples:
            pred = sample['pred_normal_map']['data']
            gt = sample['gt_normal_map']['data']
            valid = sample['gt_sem_seg']['data'][0] != INVALID_LABEL
            accumulator.update(angular_errors(pred, gt, valid))

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Sum the accumulators of all processes and summarise."""
        total = self._new_accumulator()
        for accumulator in results:
            total.merge(accumulator)
        return total.summary()

    @staticmethod
    def calculate(pred: np.ndarray | torch.Tensor, gt: np.ndarray | torch.Tensor,
                  valid: np.ndarray | torch.Tensor | None = None,
                  thresholds: Sequence[float] = ANGLE_THRESHOLDS,
                  bin_width: float = HISTOGRAM_BIN_DEG, channel_axis: int = 0) -> dict[str, float]:
        """The metrics for one set of normal maps, outside the Runner.

        Args:
            pred: Predicted normals, 3 channels on ``channel_axis`` (any leading/trailing shape).
            gt: Ground-truth normals, same shape.
            valid: Boolean map of pixels to count (shape without the channel axis); None = all.
            thresholds: Angles of the "% within" metrics.
            bin_width: Histogram bin of the median, degrees.
            channel_axis: Axis of x, y, z.

        Examples:
            >>> import numpy as np
            >>> up = np.zeros((3, 2, 2)); up[2] = 1
            >>> NormalAngularMetric.calculate(up, up)['mean']
            0.0
            >>> NormalAngularMetric.calculate(up, -up)['median']
            180.0
        """
        accumulator = AngularErrorAccumulator(bin_width=bin_width, thresholds=tuple(thresholds))
        accumulator.update(angular_errors(pred, gt, valid, channel_axis=channel_axis))
        return accumulator.summary()
