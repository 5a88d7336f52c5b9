"""Label-efficiency utility of pretraining (Newell & Deng, "How useful is self-supervised pretraining for
visual tasks?", CVPR 2020).

For a pretrained backbone trained on ``n`` labels reaching accuracy ``a``, ``n_hat`` is the number of labels a
from-scratch model needs to reach ``a``, read off the from-scratch accuracy curve by linear interpolation in
log n; the utility is ``U(n) = n_hat / n - 1`` (0: pretraining saves nothing; 9: it is worth 10x the labels).
The from-scratch curve is made monotone (running maximum) before reading it. ``U`` is undefined - and
reported as such, never clipped - when ``a`` is above the best from-scratch accuracy (no budget on the curve
reaches it) or below the accuracy of its smallest budget (the curve does not say how few labels suffice).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

ABOVE_SCRATCH = 'above the best from-scratch accuracy'
BELOW_SCRATCH = 'below the from-scratch accuracy at the smallest budget'


@dataclass(frozen=True)
class UtilityPoint:
    """Utility at one label budget; ``n_hat``/``utility`` are NaN and ``undefined`` says why when undefined."""

    n: float
    accuracy: float
    n_hat: float
    utility: float
    undefined: str = ''

    @property
    def defined(self) -> bool:
        return not self.undefined


def scratch_labels_needed(accuracy: float, scratch_n: Sequence[float],
                          scratch_accuracy: Sequence[float]) -> tuple[float, str]:
    """(n_hat, '') or (NaN, reason): labels a from-scratch model needs to reach ``accuracy``."""
    n = np.asarray(scratch_n, dtype=float)
    acc = np.asarray(scratch_accuracy, dtype=float)
    if n.ndim != 1 or n.shape != acc.shape or len(n) < 1 or np.any(n <= 0):
        raise ValueError('the from-scratch curve needs matching, positive label budgets and accuracies')
    order = np.argsort(n)
    n, acc = n[order], np.maximum.accumulate(acc[order])
    if accuracy > acc[-1]:
        return math.nan, ABOVE_SCRATCH
    if accuracy < acc[0]:
        return math.nan, BELOW_SCRATCH
    i = int(np.searchsorted(acc, accuracy, side='left'))  # first budget reaching the accuracy
    if acc[i] == accuracy:
        return float(n[i]), ''
    t = (accuracy - acc[i - 1]) / (acc[i] - acc[i - 1])
    return float(math.exp(math.log(n[i - 1]) + t * (math.log(n[i]) - math.log(n[i - 1])))), ''


def utility_curve(n: Sequence[float], accuracy: Sequence[float], scratch_n: Sequence[float],
                  scratch_accuracy: Sequence[float]) -> list[UtilityPoint]:
    """U(n) for each budget of the pretrained curve."""
    points = []
    for budget, acc in sorted(zip(n, accuracy)):
        n_hat, why = scratch_labels_needed(acc, scratch_n, scratch_accuracy)
        points.append(UtilityPoint(float(budget), float(acc), n_hat, n_hat / budget - 1 if not why else math.nan,
                                   why))
    return points
