"""Calibration of classifier logits: expected calibration error and temperature scaling.

ECE (Guo et al. 2017): split predictions into ``n_bins`` equal-width confidence bins and average
``|accuracy - confidence|`` weighted by bin size (percent here). Temperature scaling divides the logits by one
scalar T fitted by minimising the negative log-likelihood. As in the transfer paper, T is fitted on the test
logits themselves by K-fold cross-validation: each fold is scaled with the T fitted on the other folds, and the
ECE after scaling is computed on the pooled, out-of-fold scaled predictions.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def _tensor(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).detach().cpu()


def expected_calibration_error(probs, labels, n_bins: int = 15) -> float:
    """ECE in percent of ``(N, C)`` probabilities against ``(N,)`` labels with ``n_bins`` equal-width bins.

    >>> expected_calibration_error(np.array([[0.9, 0.1], [0.9, 0.1]]), np.array([0, 1]))
    40.0
    """
    probs, labels = _tensor(probs).double(), _tensor(labels).long()
    confidence, prediction = probs.max(1)
    correct = (prediction == labels).double()
    edges = torch.linspace(0, 1, n_bins + 1, dtype=torch.float64)
    bins = torch.bucketize(confidence, edges[1:-1], right=False)  # bin b holds (edges[b], edges[b+1]]
    ece = torch.zeros((), dtype=torch.float64)
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.double().mean() * (correct[mask].mean() - confidence[mask].mean()).abs()
    return float(ece * 100)


def fit_temperature(logits, labels, max_iter: int = 100) -> float:
    """The temperature T > 0 minimising the NLL of ``softmax(logits / T)`` (L-BFGS on log T)."""
    logits, labels = _tensor(logits).double(), _tensor(labels).long()
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.5, max_iter=max_iter, line_search_fn='strong_wolfe')

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp())


def calibration_report(logits, labels, n_bins: int = 15, folds: int = 5, seed: int = 0) -> dict[str, float]:
    """ECE before and after cross-validated temperature scaling (percent), and the mean fitted T.

    Log-probabilities work as ``logits`` too (softmax is shift invariant).
    """
    logits, labels = _tensor(logits).double(), _tensor(labels).long()
    n = len(labels)
    before = expected_calibration_error(F.softmax(logits, 1), labels, n_bins)
    folds = max(2, min(folds, n))
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    scaled = torch.empty_like(logits)
    temperatures = []
    for part in order.chunk(folds):
        rest = torch.ones(n, dtype=torch.bool)
        rest[part] = False
        t = fit_temperature(logits[rest], labels[rest])
        temperatures.append(t)
        scaled[part] = F.softmax(logits[part] / t, 1)
    after = expected_calibration_error(scaled, labels, n_bins)
    return {'ece': before, 'ece_temperature_scaled': after, 'temperature': float(np.mean(temperatures)),
            'ece_bins': n_bins, 'temperature_folds': folds}
