"""Recognition metrics on predictions alone: top-1, mean per-class accuracy, VOC07 11-point mAP.

All values are percentages. :data:`CLS_METRIC_FUNCTIONS` maps the metric names of the dataset table
(``top1``, ``mean_per_class``, ``voc11_map``) to functions ``f(scores, targets) -> float`` where ``scores`` is
``(N, C)`` (logits, probabilities, any monotone score) and ``targets`` is ``(N,)`` class ids or, for
``voc11_map``, an ``(N, C)`` 0/1 matrix (difficult objects already counted as negatives).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor


def _np(x: ArrayLike) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def top1_accuracy(scores: ArrayLike, labels: ArrayLike) -> float:
    """Percentage of samples whose highest score is the label.

    >>> round(top1_accuracy(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), np.array([0, 1, 1])), 4)
    66.6667
    """
    scores, labels = _np(scores), _np(labels)
    return float((scores.argmax(1) == labels).mean() * 100)


def mean_per_class_accuracy(scores: ArrayLike, labels: ArrayLike) -> float:
    """Mean over the classes present in ``labels`` of each class's accuracy (recall), in percent.

    >>> mean_per_class_accuracy(np.array([[1., 0], [1, 0], [1, 0], [0, 1]]), np.array([0, 0, 0, 1]))
    100.0
    >>> mean_per_class_accuracy(np.array([[1., 0], [1, 0], [1, 0], [1, 0]]), np.array([0, 0, 0, 1]))
    50.0
    """
    scores, labels = _np(scores), _np(labels)
    correct = scores.argmax(1) == labels
    return float(np.mean([correct[labels == c].mean() for c in np.unique(labels)]) * 100)


def voc11_average_precision(scores: ArrayLike, positives: ArrayLike) -> float:
    """VOC2007 11-point interpolated average precision of one binary problem, in percent.

    AP = mean over recall thresholds t in {0, 0.1, ..., 1} of the highest precision at recall >= t.

    >>> round(voc11_average_precision(np.array([0.9, 0.8, 0.1]), np.array([1, 0, 1])), 4)  # (6 + 5 * 2/3) / 11
    84.8485
    """
    scores, positives = _np(scores).astype(np.float64), _np(positives).astype(bool)
    n_pos = positives.sum()
    if n_pos == 0:
        return float('nan')
    order = np.argsort(-scores, kind='stable')
    tp = np.cumsum(positives[order])
    fp = np.cumsum(~positives[order])
    recall = tp / n_pos
    precision = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    # sum the 11 interpolated precisions, then divide once (adding 1/11 eleven times overshoots 1.0)
    interpolated = [precision[recall >= t].max(initial=0.0) for t in np.linspace(0, 1, 11)]
    return float(100 * sum(interpolated) / 11)


def voc11_map(scores: ArrayLike, targets: ArrayLike) -> float:
    """Mean over classes (with at least one positive) of :func:`voc11_average_precision`, in percent."""
    scores, targets = _np(scores), _np(targets)
    aps = [voc11_average_precision(scores[:, c], targets[:, c]) for c in range(targets.shape[1])]
    return float(np.nanmean(aps))


CLS_METRIC_FUNCTIONS: dict[str, Callable[[ArrayLike, ArrayLike], float]] = {
    'top1': top1_accuracy,
    'mean_per_class': mean_per_class_accuracy,
    'voc11_map': voc11_map,
}


def score_predictions(metric: str, scores: ArrayLike, targets: ArrayLike) -> float:
    """Compute the named table metric (see :data:`CLS_METRIC_FUNCTIONS`)."""
    try:
        return CLS_METRIC_FUNCTIONS[metric](scores, targets)
    except KeyError:
        raise KeyError(f'unknown metric {metric!r}; known: {sorted(CLS_METRIC_FUNCTIONS)}') from None
