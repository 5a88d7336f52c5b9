"""L2-regularised logistic regression for the many-shot linear probe, in two protocols.

``paper`` reproduces the paper's solver: scikit-learn 0.22.2 ``LogisticRegression(solver='lbfgs',
multi_class='multinomial', warm_start=True)`` with its defaults, which minimises the *summed* objective::

    sum_i loss(x_i W^T + b, y_i) + ||W||^2 / (2 C)            (the bias is not penalised)

with scipy's L-BFGS-B (``gtol=1e-4``, ``maxiter=100``, every other option scipy's default) over the parameters
flattened row-major as a ``(K, D + 1)`` array (intercepts in the last column), in float64. Here torch computes
that objective and its gradient (on any device, float64) while scipy's L-BFGS-B drives the iterations, so the
iterates are sklearn's. The iteration cap is part of the protocol: at large C, 100 iterations regularise.

``converged`` solves the same problem to convergence: on a GPU a float32 L-BFGS solve first (fast), then a
float64 check of the gradient of the per-sample (mean) objective, continued in float64 from that point when the
check fails (on the CPU the float64 solve starts from the warm start directly). Every fit that still hits its
iteration cap, or whose line search stalls, is reported.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy import optimize

# the paper's grid (C = 1 / wd) and sklearn 0.22.2's max_iter and tol: literals of the table of tasks
from mmssl_transfer.tasks import PAPER_MAX_ITER, PAPER_TOL

#: Fit outcomes recorded per fit.
FIT_STATUSES = ('converged', 'max_iter', 'stalled')


@dataclass
class LogisticModel:
    """Weights ``(K, D)`` and bias ``(K,)``; ``multilabel`` means K independent sigmoid outputs.

    ``status`` is one of :data:`FIT_STATUSES`; ``refit_float64`` says whether a converged-protocol fit needed
    float64 iterations after its float32 solve.
    """

    weight: torch.Tensor
    bias: torch.Tensor
    multilabel: bool = False
    n_iter: int = 0
    status: str = 'converged'
    grad_max: float = float('nan')
    refit_float64: bool = False

    def decision_function(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.bias, x.to(self.weight), self.weight.T)

    def clone(self) -> 'LogisticModel':
        return LogisticModel(self.weight.clone(), self.bias.clone(), self.multilabel, self.n_iter, self.status,
                             self.grad_max, self.refit_float64)


# ----------------------------------------------------------------------------------------------------------------
# objectives: numpy float64 parameters in, (value, gradient) out; torch does the work on the features' device

class _SoftmaxObjective:
    """``scale * (sum_i CE(x_i W^T + b, y_i) + alpha/2 ||W||^2)`` over ``w`` = ``(K, D + 1)`` flattened row-major.

    ``scale=1`` is scikit-learn 0.22's ``_multinomial_loss_grad`` (``alpha = 1 / C``); ``scale = 1 / N`` is the
    per-sample objective whose gradient the converged protocol checks.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, num_classes: int, alpha: float, scale: float = 1.0):
        self.x, self.y, self.k, self.alpha, self.scale = x, y, num_classes, alpha, scale
        self.rows = torch.arange(len(y), device=x.device)

    def __call__(self, w: np.ndarray) -> tuple[float, np.ndarray]:
        params = torch.from_numpy(w).to(self.x).view(self.k, -1)
        weight, bias = params[:, :-1], params[:, -1]
        logits = torch.addmm(bias, self.x, weight.T)
        lse = torch.logsumexp(logits, 1)
        loss = (lse - logits[self.rows, self.y]).sum() + 0.5 * self.alpha * weight.pow(2).sum()
        diff = torch.exp(logits - lse[:, None])
        diff[self.rows, self.y] -= 1
        grad = torch.empty_like(params)
        grad[:, :-1] = torch.addmm(weight, diff.T, self.x, beta=self.alpha)
        grad[:, -1] = diff.sum(0)
        return float(loss) * self.scale, (grad * self.scale).flatten().cpu().numpy().astype(np.float64)


class _BinaryObjective:
    """K independent binary problems: ``scale * (sum_ik softplus(-s_ik z_ik) + alpha/2 ||W||^2)``, ``s = 2y - 1``."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, alpha: float, scale: float = 1.0):
        self.x, self.sign, self.alpha, self.scale = x, 2 * y.to(x) - 1, alpha, scale
        self.k = y.shape[1]

    def __call__(self, w: np.ndarray) -> tuple[float, np.ndarray]:
        params = torch.from_numpy(w).to(self.x).view(self.k, -1)
        weight, bias = params[:, :-1], params[:, -1]
        margin = torch.addmm(bias, self.x, weight.T) * self.sign
        loss = F.softplus(-margin).sum() + 0.5 * self.alpha * weight.pow(2).sum()
        diff = -self.sign * torch.sigmoid(-margin)
        grad = torch.empty_like(params)
        grad[:, :-1] = torch.addmm(weight, diff.T, self.x, beta=self.alpha)
        grad[:, -1] = diff.sum(0)
        return float(loss) * self.scale, (grad * self.scale).flatten().cpu().numpy().astype(np.float64)


def _flat(model: LogisticModel | None, k: int, d: int) -> np.ndarray:
    if model is None:
        return np.zeros(k * (d + 1))
    return torch.cat([model.weight, model.bias[:, None]], 1).double().cpu().numpy().ravel()


def _unflat(w: np.ndarray, k: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    params = torch.from_numpy(w.reshape(k, -1).copy()).to(device)
    return params[:, :-1].contiguous(), params[:, -1].contiguous()


def _lbfgsb(objective, w0: np.ndarray, max_iter: int, tol: float, **options) -> optimize.OptimizeResult:
    """scipy's L-BFGS-B exactly as scikit-learn 0.22.2's ``_logistic_regression_path`` calls it
    (``_logistic.py`` L933-937: ``method='L-BFGS-B', jac=True, options={'gtol': tol, 'maxiter': max_iter}``)."""
    return optimize.minimize(objective, w0, method='L-BFGS-B', jac=True,
                             options={'gtol': tol, 'maxiter': max_iter, **options})


def _status(result: optimize.OptimizeResult, max_iter: int) -> str:
    """scipy status 0: a stopping test passed; 1: iteration (or evaluation) cap; 2: line search failure."""
    if result.status == 0:
        return 'converged'
    return 'max_iter' if result.status == 1 or result.nit >= max_iter else 'stalled'


# ----------------------------------------------------------------------------------------------------------------
# the paper's solver

def fit_logistic_paper(x: torch.Tensor, y: torch.Tensor, c: float, num_classes: int | None = None,
                       init: LogisticModel | None = None, max_iter: int = PAPER_MAX_ITER,
                       tol: float = PAPER_TOL) -> LogisticModel:
    """One ``LogisticRegression(C=c).fit(x, y)`` of scikit-learn 0.22.2 (lbfgs, multinomial), warm-started from
    ``init`` as ``warm_start=True`` does (the previous fit's ``coef_`` and ``intercept_``), or from zeros.

    Two classes are solved, as sklearn does with ``multi_class='multinomial'``, as a 2-way softmax whose rows
    start at ``[-init, init]``; the returned model then holds the class-1 row only (sklearn's ``coef_``), so
    chaining binary fits warm-starts each from the previous one exactly as the paper's VOC07 loop does.

    Args:
        x: Features ``(N, D)``; the solve runs in float64 on ``x``'s device.
        y: Class ids ``(N,)`` in ``[0, num_classes)``.
        c: sklearn's C (inverse regularisation strength).
        num_classes: K. Defaults to ``y.max() + 1``.
        init: Previous model (warm start), or None for zeros.
        max_iter / tol: L-BFGS-B's ``maxiter`` and ``gtol``. Default to sklearn's 100 and 1e-4.
    """
    x = x.double()
    y = y.long().to(x.device)
    k = int(num_classes if num_classes is not None else int(y.max()) + 1)
    d = x.shape[1]
    if k == 2:
        half = _flat(init, 1, d) if init is not None else np.zeros(d + 1)
        w0 = np.concatenate([-half, half])  # sklearn 0.22 _logistic.py L895-897
    else:
        w0 = _flat(init, k, d)
    result = _lbfgsb(_SoftmaxObjective(x, y, k, 1.0 / c), w0, max_iter, tol)
    weight, bias = _unflat(result.x, k, x.device)
    if k == 2:  # sklearn keeps the class-1 row (_logistic.py L978-981)
        weight, bias = weight[1:], bias[1:]
    return LogisticModel(weight, bias, False, int(min(result.nit, max_iter)), _status(result, max_iter),
                         float(np.abs(result.jac).max()))


# ----------------------------------------------------------------------------------------------------------------
# the converged variant

def fit_logistic(x: torch.Tensor, y: torch.Tensor, c: float, num_classes: int | None = None,
                 multilabel: bool = False, init: LogisticModel | None = None, max_iter: int = 1000,
                 tol: float = 1e-4, history_size: int = 10) -> LogisticModel:
    """Fast first pass of the converged protocol: torch L-BFGS (strong Wolfe) in ``x``'s dtype on its device.

    Minimises the per-sample objective ``mean_i loss_i + ||W||^2 / (2 C N)`` (multi-label: the sum over classes
    of each binary problem's mean loss). In float32 this can stop short of the optimum (strongly regularised
    problems, where the bias decides); :func:`fit_logistic_converged` checks and finishes in float64.
    """
    dtype = x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float32
    x = x.to(dtype)
    if multilabel:
        y = y.to(x)
        k = y.shape[1]
    else:
        y = y.long().to(x.device)
        k = int(num_classes if num_classes is not None else int(y.max()) + 1)
    if init is None:
        w = torch.zeros(k, x.shape[1], device=x.device, dtype=dtype)
        b = torch.zeros(k, device=x.device, dtype=dtype)
    else:
        w, b = init.weight.detach().clone().to(x), init.bias.detach().clone().to(x)
    w.requires_grad_(True)
    b.requires_grad_(True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=max_iter, tolerance_grad=tol, tolerance_change=1e-10,
                            history_size=history_size, line_search_fn='strong_wolfe')

    def closure() -> torch.Tensor:
        opt.zero_grad()
        logits = torch.addmm(b, x, w.T)
        if multilabel:
            data = F.binary_cross_entropy_with_logits(logits, y, reduction='sum') / x.shape[0]
        else:
            data = F.cross_entropy(logits, y)
        loss = data + w.pow(2).sum() / (2 * c * x.shape[0])
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    n_iter = opt.state[opt._params[0]].get('n_iter', 0)
    return LogisticModel(w.detach(), b.detach(), multilabel, n_iter)


def fit_logistic_converged(x: torch.Tensor, y: torch.Tensor, c: float, num_classes: int | None = None,
                           multilabel: bool = False, init: LogisticModel | None = None, max_iter: int = 1000,
                           tol: float = 1e-6, fast_dtype: torch.dtype | str | None = 'auto') -> LogisticModel:
    """The optimum of the paper's objective, checked: a ``fast_dtype`` solve, then float64 L-BFGS-B on the
    per-sample objective from there until its largest absolute gradient entry is at most ``tol``.

    The float64 stage returns at once when the fast solution already passes the check; otherwise it continues
    (``refit_float64``). A fit still above ``tol`` after ``max_iter`` float64 iterations is ``'max_iter'``; one
    whose line search fails first is ``'stalled'``. ``fast_dtype``: ``'auto'`` is float32 on a GPU and no fast
    pass on the CPU (where float32 saves little and float64 from the start is as quick); None skips it.

    Multi-label targets ``(N, K)`` are K independent binary problems at this ``c`` (sklearn's binary objective).
    """
    n, d = x.shape
    if multilabel:
        y = y.to(x.device).double()
        k = y.shape[1]
    else:
        y = y.long().to(x.device)
        k = int(num_classes if num_classes is not None else int(y.max()) + 1)
    fast_iter = 0
    if fast_dtype == 'auto':
        fast_dtype = torch.float32 if x.device.type == 'cuda' else None
    if fast_dtype is not None:
        init = fit_logistic(x.to(fast_dtype), y, c, k, multilabel, init, max_iter=max_iter)
        fast_iter = init.n_iter
    x64 = x.double()
    objective = (_BinaryObjective(x64, y, 1.0 / c, 1.0 / n) if multilabel
                 else _SoftmaxObjective(x64, y, k, 1.0 / c, 1.0 / n))
    # ftol=0: stop on the gradient test only (or the cap, or a failed line search), never on a small decrease
    result = _lbfgsb(objective, _flat(init, k, d), max_iter, tol, ftol=0.0, maxls=50)
    weight, bias = _unflat(result.x, k, x.device)
    grad_max = float(np.abs(result.jac).max())
    status = 'converged' if grad_max <= tol else ('max_iter' if result.nit >= max_iter else 'stalled')
    return LogisticModel(weight, bias, multilabel, fast_iter + int(result.nit), status, grad_max,
                         refit_float64=result.nit > 0)
