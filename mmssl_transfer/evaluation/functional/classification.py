"""Recognition metrics on predictions alone: top-1, mean per-class accuracy, VOC07 11-point mAP.

All values are percentages. :data:`CLS_METRIC_FUNCTIONS` maps the metric names of the dataset table
(``top1``, ``mean_per_class``, ``voc11_map``) to functions ``f(scores, targets) -> float`` where ``scores`` is
``(N, C)`` (logits, probabilities, any monotone score) and ``targets`` is ``(N,)`` class ids or, for
``voc11_map``, an ``(N, C)`` 0/1 matrix (difficult objects already counted as negatives). ``voc11_map`` is the
paper's computation (sklearn's precision/recall curve); ``voc11_map_devkit`` the VOC devkit's, a named variant.
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


VOC11_CURVES = ('paper', 'devkit')


def _ranked_precision_recall(scores: np.ndarray, positives: np.ndarray, n_pos: int) -> tuple[np.ndarray, ...]:
    """Precision and recall after each tied group of scores, highest score first (one threshold per value)."""
    order = np.argsort(-scores, kind='mergesort')
    tp = np.cumsum(positives[order])
    fp = np.cumsum(~positives[order])
    ends = np.r_[np.flatnonzero(np.diff(scores[order])), scores.size - 1]  # last rank of each tied group
    return tp[ends] / (tp[ends] + fp[ends]), tp[ends] / n_pos


def voc11_average_precision(scores: ArrayLike, positives: ArrayLike, curve: str = 'paper') -> float:
    """VOC2007 11-point interpolated average precision of one binary problem, in percent.

    AP = mean over recall thresholds t in {0, 0.1, ..., 1} of the highest precision at recall >= t, on the
    precision/recall points of the ranking. Tied scores are one threshold (one point) in both curves.

    Args:
        scores: ``(N,)`` scores, higher = more positive (any monotone score: logits rank as the paper's).
        positives: ``(N,)`` 0/1 labels.
        curve: ``'paper'`` (default): the points of ``sklearn.metrics.precision_recall_curve``, which end with
            (recall 0, precision 1), so the t = 0 term is always 1/11, as the paper's ``linear.py`` L36-58 and
            ``finetune.py`` ``voc_ap``/``voc_eval_cls`` score it. ``'devkit'``: the ranking's points only, as the
            VOC devkit's ``VOCevalcls`` (the textbook value; lower where the top-scored image is a negative).

    >>> round(voc11_average_precision(np.array([0.9, 0.8, 0.1]), np.array([1, 0, 1])), 4)  # (6 + 5 * 2/3) / 11
    84.8485
    >>> ranks_last = ([3, 2, 1, 0], [0, 0, 1, 1])  # the positives ranked last
    >>> round(voc11_average_precision(*ranks_last), 2), voc11_average_precision(*ranks_last, curve='devkit')
    (54.55, 50.0)
    """
    if curve not in VOC11_CURVES:
        raise ValueError(f'curve {curve!r} not in {VOC11_CURVES}')
    scores, positives = _np(scores).astype(np.float64).ravel(), _np(positives).astype(bool).ravel()
    n_pos = positives.sum()
    if n_pos == 0:
        return float('nan')
    precision, recall = _ranked_precision_recall(scores, positives, n_pos)
    if curve == 'paper':  # sklearn's precision_recall_curve appends (recall 0, precision 1)
        precision, recall = np.r_[precision, 1.0], np.r_[recall, 0.0]
    # sum the 11 interpolated precisions, then divide once (adding 1/11 eleven times overshoots 1.0)
    interpolated = [precision[recall >= t].max(initial=0.0) for t in np.linspace(0, 1, 11)]
    return float(100 * sum(interpolated) / 11)


def voc11_map(scores: ArrayLike, targets: ArrayLike, curve: str = 'paper') -> float:
    """Mean over classes (with at least one positive) of :func:`voc11_average_precision`, in percent."""
    scores, targets = _np(scores), _np(targets)
    aps = [voc11_average_precision(scores[:, c], targets[:, c], curve) for c in range(targets.shape[1])]
    return float(np.nanmean(aps))


def voc11_map_devkit(scores: ArrayLike, targets: ArrayLike) -> float:
    """:func:`voc11_map` on the VOC devkit's curve (no appended point): the textbook value, not the paper's."""
    return voc11_map(scores, targets, 'devkit')


CLS_METRIC_FUNCTIONS: dict[str, Callable[[ArrayLike, ArrayLike], float]] = {
    'top1': top1_accuracy,
    'mean_per_class': mean_per_class_accuracy,
    'voc11_map': voc11_map,
    'voc11_map_devkit': voc11_map_devkit,
}


def score_predictions(metric: str, scores: ArrayLike, targets: ArrayLike) -> float:
    """Compute the named table metric (see :data:`CLS_METRIC_FUNCTIONS`)."""
    try:
        return CLS_METRIC_FUNCTIONS[metric](scores, targets)
    except KeyError:
        raise KeyError(f'unknown metric {metric!r}; known: {sorted(CLS_METRIC_FUNCTIONS)}') from None
