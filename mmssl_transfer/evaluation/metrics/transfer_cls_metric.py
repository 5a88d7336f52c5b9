"""mmengine metric for the finetune runs: the dataset's table metric plus calibration of the test logits.

Registered in mmpretrain's METRICS as ``TransferClsMetric``; the computation lives in the functional modules
(:mod:`..functional.classification`, :mod:`..functional.calibration`), this class only gathers predictions.
"""
from __future__ import annotations

from typing import Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS

from ..functional.calibration import calibration_report
from ..functional.classification import CLS_METRIC_FUNCTIONS


@METRICS.register_module()
class TransferClsMetric(BaseMetric):
    """Table metric (``top1``, ``mean_per_class`` or ``voc11_map``) of ``pred_score``, with ECE.

    ``voc11_map`` ranks by ``pred_logits`` where the head gives them (as the paper's ``finetune.py``), else by
    ``pred_score``.

    Args:
        metric: Name of the metric. Defaults to ``'top1'``.
        calibration: Also report ECE (15 bins) before and after cross-validated temperature scaling
            (single-label only; scores are log-transformed, which softmax temperature scaling tolerates).
            Defaults to False.
        collect_device / prefix: As in :class:`mmengine.evaluator.BaseMetric`.

    Examples:
        >>> import torch
        >>> metric = TransferClsMetric(metric='top1')
        >>> metric.process(None, [{'pred_score': torch.tensor([0.9, 0.1]), 'gt_label': torch.tensor(0)},
        ...                       {'pred_score': torch.tensor([0.8, 0.2]), 'gt_label': torch.tensor(1)}])
        >>> metric.compute_metrics(metric.results)
        {'top1': 50.0}
    """

    default_prefix = 'transfer'

    def __init__(self, metric: str = 'top1', calibration: bool = False, collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if metric not in CLS_METRIC_FUNCTIONS:
            raise ValueError(f'metric {metric!r} not in {sorted(CLS_METRIC_FUNCTIONS)}')
        self.metric = metric
        self.calibration = calibration

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            score = sample['pred_score'].detach().cpu().float()
            label = sample['gt_label'].detach().cpu().long()
            if self.metric.startswith('voc11_map'):  # gt_label holds the positive class ids
                # the paper's finetune.py ranks by the logits (LogitMultiLabelLinearClsHead keeps them)
                score = sample.get('pred_logits', sample['pred_score']).detach().cpu().float()
                label = torch.zeros(score.numel(), dtype=torch.long).index_fill_(0, label, 1)
            self.results.append((score, label))

    def compute_metrics(self, results: list) -> dict[str, float]:
        scores = torch.stack([r[0] for r in results])
        if self.metric.startswith('voc11_map'):
            targets = torch.stack([r[1] for r in results])
        else:
            targets = torch.cat([r[1].reshape(1) for r in results])
        out = {self.metric: CLS_METRIC_FUNCTIONS[self.metric](scores, targets)}
        if self.calibration and not self.metric.startswith('voc11_map'):
            out.update(calibration_report(scores.clamp_min(1e-12).log(), targets))
        return out
