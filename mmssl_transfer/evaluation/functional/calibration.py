"""Calibration of classifier logits: expected calibration error and temperature scaling.

ECE (Guo et al. 2017) as netcal's ``ECE(15)``, which the paper used: confidences clipped to ``[eps, 1 - eps]``,
15 equal-width bins ``[a, b)`` (the last one closed), ``|accuracy - confidence|`` averaged with bin-size weights.
netcal gives a fraction; we report percent, as the paper's table (Table 9, ``feature_properties.csv``) prints it.

Temperature scaling divides the logits by one scalar T fitted by minimising the negative log-likelihood. The
paper (``temperature_scaling.py::cross_validate_temp_scaling``, L79-124) does it on the *test* logits with 5 folds:
the test indices are shuffled (``np.random.seed(0); np.random.shuffle``), cut into 5 folds of ``int(N / 5)``
(the remainder is dropped), and for each fold T is fitted on that **one** fold and the ECE measured on the
other four; the scaled ECE is the mean of the 5. That is :data:`CALIBRATION_SCHEMES` ``'paper'``, the default.
``'pooled'`` is our earlier variant: T fitted on four folds, the held-out fold scaled, one ECE over the pooled
out-of-fold predictions. The paper feeds netcal ``softmax(float32 logits)``; the ``'paper'`` scheme does too
(netcal takes probabilities and works on their clipped logarithms).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

#: netcal's clipping epsilon (``np.finfo(float).eps``).
NETCAL_EPS = float(np.finfo(np.float64).eps)
CALIBRATION_SCHEMES = ('paper', 'pooled')


def _tensor(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).detach().cpu()


def expected_calibration_error(probs, labels, n_bins: int = 15) -> float:
    """ECE in percent of ``(N, C)`` probabilities against ``(N,)`` labels with ``n_bins`` equal-width bins.

    >>> expected_calibration_error(np.array([[0.9, 0.1], [0.9, 0.1]]), np.array([0, 1]))
    40.0
    """
    probs, labels = _tensor(probs).double(), _tensor(labels).long()
    confidence, prediction = probs.max(1)
    confidence = confidence.clamp(NETCAL_EPS, 1 - NETCAL_EPS)
    correct = (prediction == labels).double()
    edges = torch.linspace(0, 1, n_bins + 1, dtype=torch.float64)
    bins = torch.bucketize(confidence, edges[1:-1], right=True)  # bin b holds [edges[b], edges[b+1])
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

    with torch.enable_grad():
        opt.step(closure)
    return float(log_t.detach().exp())


def paper_folds(n: int, folds: int = 5, seed: int = 0) -> list[np.ndarray]:
    """The paper's folds of ``n`` test samples: shuffle ``range(n)`` with ``np.random.seed(seed)``, cut into
    pieces of ``int(n / folds)`` and keep the first ``folds`` (``temperature_scaling.py`` L86-89)."""
    if n < folds:
        raise ValueError(f'{n} samples cannot make {folds} calibration folds')
    indices = np.arange(n)
    np.random.RandomState(seed).shuffle(indices)  # the stream of np.random.seed(seed); np.random.shuffle
    size = n // folds
    return [indices[i * size:(i + 1) * size] for i in range(folds)]


def _netcal_log_probs(logits: torch.Tensor) -> torch.Tensor:
    """What netcal works on in the paper: ``log(clip(softmax(float32 logits)))``."""
    probs = F.softmax(logits.float(), 1).double()
    return probs.clamp(NETCAL_EPS, 1 - NETCAL_EPS).log()


def calibration_report(logits, labels, n_bins: int = 15, folds: int = 5, seed: int = 0,
                       scheme: str = 'paper') -> dict[str, float]:
    """ECE before and after cross-validated temperature scaling (percent), and the mean fitted T.

    ``scheme='paper'``: T fitted on one fold, ECE on the other four, averaged (the paper's linear probe).
    ``scheme='pooled'``: T fitted on the other folds, one ECE over the out-of-fold scaled predictions.
    Log-probabilities work as ``logits`` too (softmax is shift invariant). Fewer samples than folds: one fold
    per sample; fewer than 2: the unscaled ECE only.
    """
    if scheme not in CALIBRATION_SCHEMES:
        raise ValueError(f'unknown calibration scheme {scheme!r}; known: {CALIBRATION_SCHEMES}')
    logits, labels = _tensor(logits).double(), _tensor(labels).long()
    n = len(labels)
    if scheme == 'paper':
        logits = _netcal_log_probs(logits)
    before = expected_calibration_error(F.softmax(logits, 1), labels, n_bins)
    if n < 2:  # nothing to fit T on and measure it with
        return {'ece': before, 'ece_bins': n_bins}
    if scheme == 'paper':
        temperatures, eces = [], []
        folds = min(folds, n)  # the paper's code fails below 5 test samples; tiny (toy) sets use n folds of 1
        parts = paper_folds(n, folds, seed)
        for i, fit_on in enumerate(parts):
            measure_on = np.concatenate([p for j, p in enumerate(parts) if j != i])
            t = fit_temperature(logits[fit_on], labels[fit_on])
            temperatures.append(t)
            eces.append(expected_calibration_error(F.softmax(logits[measure_on] / t, 1), labels[measure_on],
                                                   n_bins))
        after = float(np.mean(eces))
    else:
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
