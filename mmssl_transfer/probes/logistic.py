"""L2-regularised logistic regression in torch (L-BFGS), the solver of the many-shot linear probe.

The objective is exactly scikit-learn's ``LogisticRegression(C=C)`` (lbfgs, multinomial; or one binary
problem per class for multi-label data), written in its per-sample scaled form::

    mean_i loss(x_i W^T + b, y_i) + ||W||^2 / (2 C N)          (the bias is not penalised)

so the same C selects the same model. Speed comes from three things sklearn's reference lacks: float32 on
any device (GPU when there is one), all binary problems of a multi-label dataset solved as one batched
problem (the objective is separable, so the optimum is the same), and warm starts along the C path
(the solution for one C starts the next, larger C).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

#: The paper's grid: 45 log-spaced weight decays in [1e-6, 1e5]; C = 1 / wd.
WD_GRID: tuple[float, ...] = tuple(np.logspace(-6, 5, 45).tolist())


def c_grid(wds: tuple[float, ...] = WD_GRID) -> list[float]:
    """C values of a weight-decay grid, in increasing order (decreasing regularisation: warm-start order)."""
    return sorted(1.0 / w for w in wds)


@dataclass
class LogisticModel:
    """Weights ``(K, D)`` and bias ``(K,)``; ``multilabel`` means K independent sigmoid outputs."""

    weight: torch.Tensor
    bias: torch.Tensor
    multilabel: bool = False
    n_iter: int = 0

    def decision_function(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.bias, x.to(self.weight), self.weight.T)

    def clone(self) -> 'LogisticModel':
        return LogisticModel(self.weight.clone(), self.bias.clone(), self.multilabel, self.n_iter)


def _loss(model_w: torch.Tensor, model_b: torch.Tensor, x: torch.Tensor, y: torch.Tensor, c: float,
          multilabel: bool) -> torch.Tensor:
    logits = torch.addmm(model_b, x, model_w.T)
    if multilabel:  # sum over classes of each binary problem's mean loss
        data = F.binary_cross_entropy_with_logits(logits, y, reduction='sum') / x.shape[0]
    else:
        data = F.cross_entropy(logits, y)
    return data + model_w.pow(2).sum() / (2 * c * x.shape[0])


def fit_logistic(x: torch.Tensor, y: torch.Tensor, c: float, num_classes: int | None = None,
                 multilabel: bool = False, init: LogisticModel | None = None, max_iter: int = 1000,
                 tol: float = 1e-4, history_size: int = 10) -> LogisticModel:
    """Minimise the objective above with L-BFGS (strong Wolfe line search) from ``init`` (warm start) or 0.

    Args:
        x: Features ``(N, D)``, float; the device of ``x`` is where the solve runs.
        y: Class ids ``(N,)`` in ``[0, num_classes)``, or a 0/1 matrix ``(N, K)`` when ``multilabel``.
        c: Inverse regularisation strength (sklearn's C).
        num_classes: K for single-label data. Defaults to ``y.max() + 1``.
        init: Starting point. Defaults to zeros.
        max_iter: L-BFGS iterations. Defaults to 1000.
        tol: Stop when the largest absolute gradient entry falls below this (sklearn's ``tol``).
    """
    x = x.float()
    if multilabel:
        y = y.to(x)
        k = y.shape[1]
    else:
        y = y.long().to(x.device)
        k = int(num_classes if num_classes is not None else int(y.max()) + 1)
    if init is None:
        w = torch.zeros(k, x.shape[1], device=x.device)
        b = torch.zeros(k, device=x.device)
    else:
        w, b = init.weight.detach().clone().to(x), init.bias.detach().clone().to(x)
    w.requires_grad_(True)
    b.requires_grad_(True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=max_iter, tolerance_grad=tol, tolerance_change=1e-10,
                            history_size=history_size, line_search_fn='strong_wolfe')

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = _loss(w, b, x, y, c, multilabel)
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    n_iter = opt.state[opt._params[0]].get('n_iter', 0)
    return LogisticModel(w.detach(), b.detach(), multilabel, n_iter)


def fit_logistic_path(x: torch.Tensor, y: torch.Tensor, cs: list[float], num_classes: int | None = None,
                      multilabel: bool = False, max_iter: int = 1000, tol: float = 1e-4) -> list[LogisticModel]:
    """One model per C (in the given order), each warm-started from the previous solution."""
    models, previous = [], None
    for c in cs:
        previous = fit_logistic(x, y, c, num_classes, multilabel, previous, max_iter, tol)
        models.append(previous)
    return models
