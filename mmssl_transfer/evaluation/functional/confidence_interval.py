"""Few-shot summary statistic: mean episode accuracy with its 95% confidence half-width."""
from __future__ import annotations

import numpy as np
import torch

#: z value of a two-sided 95% normal interval, as in the few-shot literature.
Z95 = 1.96


def mean_confidence_interval(accuracies, z: float = Z95) -> tuple[float, float]:
    """``(mean, z * std / sqrt(n))`` of per-episode accuracies (population std, as numpy's default).

    >>> mean, ci = mean_confidence_interval([50.0, 70.0, 50.0, 70.0])
    >>> mean, round(ci, 6)
    (60.0, 9.8)
    """
    acc = accuracies.detach().cpu().double().numpy() if isinstance(accuracies, torch.Tensor) \
        else np.asarray(accuracies, dtype=np.float64)
    if acc.size == 0:
        raise ValueError('no episode accuracies')
    return float(acc.mean()), float(z * acc.std() / np.sqrt(acc.size))
