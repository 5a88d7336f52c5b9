"""Many-shot linear probe on cached features: C sweep on train, selection on val, refit on train+val, test.

The protocols (:data:`LINEAR_PROTOCOLS`):

* ``paper`` (default) - the paper's ``linear.py``: one scikit-learn 0.22.2 ``LogisticRegression(solver='lbfgs',
  multi_class='multinomial', warm_start=True)`` object reused for every fit (:func:`.logistic.fit_logistic_paper`,
  100 L-BFGS-B iterations at most). The sweep runs the weight decays in the grid's (increasing) order, i.e. C from
  1e6 down to 1e-5, each fit warm-started from the previous; the first best val score wins (strict ``>``); the
  train+val refit at the chosen C warm-starts from the *last* fit of the sweep (C = 1e-5). VOC07: one binary
  problem per class, solved as a 2-way softmax (= binary logistic regression at 2C), the classes fitted in order
  by the same warm-started object (class c starts from class c-1; class 0 from the previous C's class 19).
* ``converged`` - the same objective solved to convergence (:func:`.logistic.fit_logistic_converged`); VOC07 as
  20 independent binary problems at 2C (the same optimum), batched. Selection and grid as the paper.

A fixed C (``c=...``) skips the sweep: the train+val fit then starts from zeros, as ``linear.py`` does with its
own ``--C`` flag. A chosen C at either end of the grid is reported as a warning.
"""
from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import torch

from mmssl_transfer.evaluation.functional.calibration import calibration_report
from mmssl_transfer.evaluation.functional.classification import score_predictions
from mmssl_transfer.tasks import LINEAR_PROBE_WDS, PAPER_MAX_ITER, PAPER_TOL

from . import logistic
from .errors import ProbeInputError
from .features import FeatureSet
from .logistic import LogisticModel


@dataclass(frozen=True)
class LinearProtocol:
    """A named linear-probe protocol: solver, its iteration cap and gradient tolerance."""

    name: str
    max_iter: int
    tol: float
    description: str


LINEAR_PROTOCOLS: dict[str, LinearProtocol] = {
    'paper': LinearProtocol('paper', PAPER_MAX_ITER, PAPER_TOL,
                            "the paper's sklearn 0.22.2 lbfgs: summed objective, gtol 1e-4, 100 iterations, "
                            'warm-started path (C 1e6 -> 1e-5), refit from the last fit'),
    'converged': LinearProtocol('converged', 1000, 1e-6,
                                'the same objective solved to convergence: float32 L-BFGS, then float64 '
                                'L-BFGS-B until the per-sample gradient is below 1e-6'),
}
#: How C was chosen: swept on val (the paper), given (``--C``), or the paper's published choice (``--paper-c``).
C_MODES = ('sweep', 'fixed', 'paper-c')


@dataclass
class SolverLog:
    """How the fits of a run ended (the sweep and the refit), by :data:`.logistic.FIT_STATUSES`."""

    fits: int = 0
    fits_converged: int = 0
    fits_at_max_iter: int = 0
    fits_stalled: int = 0
    float64_refits: int = 0

    def add(self, model: LogisticModel) -> None:
        self.fits += 1
        field_name = {'converged': 'fits_converged', 'max_iter': 'fits_at_max_iter', 'stalled': 'fits_stalled'}
        setattr(self, field_name[model.status], getattr(self, field_name[model.status]) + 1)
        self.float64_refits += int(model.refit_float64)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class LinearProbeOutcome:
    """What one linear-probe run found."""

    metric: str
    test_value: float
    best_wd: float
    best_c: float
    val_curve: list[dict[str, float]]
    test_scores: torch.Tensor
    test_targets: torch.Tensor
    protocol: str = 'paper'
    c_mode: str = 'sweep'
    solver: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    calibration: dict[str, Any] = field(default_factory=dict)

    @property
    def best_val(self) -> float | None:
        """The best val score of the sweep (None without a sweep)."""
        return max((p['val'] for p in self.val_curve), default=None)


class _PaperClassifier:
    """The paper's reused, warm-started sklearn object: every fit starts from the previous fit's solution."""

    def __init__(self, num_classes: int, multilabel: bool, max_iter: int, tol: float, log: SolverLog):
        self.k, self.multilabel, self.max_iter, self.tol, self.log = num_classes, multilabel, max_iter, tol, log
        self.state: LogisticModel | None = None  # sklearn's coef_ / intercept_ after the last fit

    def fit(self, x: torch.Tensor, y: torch.Tensor, c: float) -> LogisticModel:
        if not self.multilabel:
            self.state = self._fit(x, y, c, self.k)
            return self.state
        rows = []
        for cls in range(y.shape[1]):  # linear.py L99-100: the same object fits class after class
            self.state = self._fit(x, y[:, cls], c, 2)
            rows.append(self.state)
        worst = next((s for s in ('max_iter', 'stalled') if any(m.status == s for m in rows)), 'converged')
        return LogisticModel(torch.cat([m.weight for m in rows]), torch.cat([m.bias for m in rows]), True,
                             status=worst)

    def _fit(self, x: torch.Tensor, y: torch.Tensor, c: float, k: int) -> LogisticModel:
        model = logistic.fit_logistic_paper(x, y, c, k, init=self.state, max_iter=self.max_iter, tol=self.tol)
        self.log.add(model)
        return model

    def sweep(self, x: torch.Tensor, y: torch.Tensor, cs: list[float]) -> list[LogisticModel]:
        return [self.fit(x, y, c) for c in cs]

    def refit(self, x: torch.Tensor, y: torch.Tensor, c: float, best: LogisticModel | None) -> LogisticModel:
        return self.fit(x, y, c)  # from the last fit of the sweep (or from zeros without one)


class _ConvergedClassifier:
    """Independent converged fits; warm starts only save time (in increasing C, where solutions grow)."""

    def __init__(self, num_classes: int, multilabel: bool, max_iter: int, tol: float, log: SolverLog):
        self.k, self.multilabel, self.max_iter, self.tol, self.log = num_classes, multilabel, max_iter, tol, log

    def fit(self, x: torch.Tensor, y: torch.Tensor, c: float, init: LogisticModel | None) -> LogisticModel:
        # multi-label: the paper's 2-way softmax at C has the optimum of binary logistic regression at 2C
        c_eff = 2 * c if self.multilabel else c
        model = logistic.fit_logistic_converged(x, y, c_eff, self.k, self.multilabel, init, self.max_iter,
                                                self.tol)
        self.log.add(model)
        return model

    def sweep(self, x: torch.Tensor, y: torch.Tensor, cs: list[float]) -> list[LogisticModel]:
        order = sorted(range(len(cs)), key=lambda i: cs[i])
        models: list[LogisticModel | None] = [None] * len(cs)
        previous = None
        for i in order:
            models[i] = previous = self.fit(x, y, cs[i], previous)
        return models  # type: ignore[return-value]

    def refit(self, x: torch.Tensor, y: torch.Tensor, c: float, best: LogisticModel | None) -> LogisticModel:
        return self.fit(x, y, c, best)


_CLASSIFIERS: dict[str, Callable[..., Any]] = {'paper': _PaperClassifier, 'converged': _ConvergedClassifier}


def _compact_labels(train: FeatureSet, *others: FeatureSet) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Map class ids to 0..K-1 over the classes seen in ``train``; unseen ids become -1 (never predicted)."""
    classes = torch.unique(train.labels)
    out = []
    for fs in (train, *others):
        pos = torch.searchsorted(classes, fs.labels).clamp_max(len(classes) - 1)
        out.append(torch.where(classes[pos] == fs.labels, pos, torch.full_like(pos, -1)))
    return classes, out


def select_best(curve: list[dict[str, float]]) -> int:
    """Index of the first best val score in sweep order (``linear.py`` L167: strict ``>``)."""
    best = 0
    for j, point in enumerate(curve):
        if point['val'] > curve[best]['val']:
            best = j
    return best


def run_linear_probe(train: FeatureSet, val: FeatureSet, test: FeatureSet, metric: str, multilabel: bool = False,
                     *, protocol: str = 'paper', wds: tuple[float, ...] = LINEAR_PROBE_WDS, c: float | None = None,
                     c_mode: str | None = None, device: str | torch.device | None = None,
                     max_iter: int | None = None, tol: float | None = None,
                     calibration: bool = True) -> LinearProbeOutcome:
    """Run a linear-probe protocol on three feature sets (train, val, test).

    Args:
        protocol: A key of :data:`LINEAR_PROTOCOLS`. Defaults to ``'paper'``.
        wds: Weight-decay grid in sweep order (C = 1 / wd). Defaults to the paper's 45 values.
        c: A fixed C: no sweep, the train+val fit starts from zeros. Defaults to None (sweep).
        c_mode: How ``c`` was chosen, for the record (``'fixed'`` or ``'paper-c'``). Defaults to ``'fixed'``
            with ``c``, ``'sweep'`` without.
        max_iter / tol: Override the protocol's iteration cap and gradient tolerance.
        calibration: Also report ECE before/after temperature scaling of the test logits (single-label).
    """
    if protocol not in LINEAR_PROTOCOLS:
        raise ProbeInputError(f'unknown linear-probe protocol {protocol!r}; known: {", ".join(LINEAR_PROTOCOLS)}')
    spec = LINEAR_PROTOCOLS[protocol]
    c_mode = c_mode or ('sweep' if c is None else 'fixed')
    if c_mode not in C_MODES or (c is None) != (c_mode == 'sweep'):
        raise ProbeInputError(f'C mode {c_mode!r} with C={c}: a sweep takes no C, the other modes one C')
    if c is not None and not c > 0:
        raise ProbeInputError(f'C must be positive, got {c}')
    device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    trainval = FeatureSet(torch.cat([train.features, val.features]), torch.cat([train.labels, val.labels]))
    if multilabel:
        k = trainval.labels.shape[1]
        y_train, y_val, y_trainval, y_test = (fs.labels.float() for fs in (train, val, trainval, test))
    else:
        classes, (y_trainval, y_train, y_val, y_test) = _compact_labels(trainval, train, val, test)
        k = len(classes)
    # float64 once (both solvers' objectives are float64), not once per fit
    x_train, x_val, x_trainval, x_test = (fs.features.to(device, torch.float64) for fs in (train, val, trainval, test))
    log = SolverLog()
    classifier = _CLASSIFIERS[protocol](k, multilabel, max_iter or spec.max_iter, tol or spec.tol, log)
    curve, notes, best_model = [], [], None
    if c is None:
        cs = [1.0 / wd for wd in wds]
        models = classifier.sweep(x_train, y_train.to(device), cs)
        for wd, model in zip(wds, models):
            scores = model.decision_function(x_val).cpu()
            curve.append({'wd': wd, 'C': 1.0 / wd, 'val': score_predictions(metric, scores, y_val),
                          'status': model.status})
        best = select_best(curve)
        best_model, best_c, best_wd = models[best], curve[best]['C'], curve[best]['wd']
        if len(curve) > 1 and best in (0, len(curve) - 1):
            notes.append(f'selected C={best_c:.3g} (wd={best_wd:.3g}) is an endpoint of the grid')
            warnings.warn(notes[-1])
    else:
        best_c, best_wd = float(c), 1.0 / float(c)
    final = classifier.refit(x_trainval, y_trainval.to(device), best_c, best_model)
    test_logits = final.decision_function(x_test).cpu()
    # linear.py L81-100 scores sklearn's float64 predict/decision_function; L179-181 calibrates float32 logits
    value = score_predictions(metric, test_logits, y_test)
    test_scores = test_logits.float()
    stuck = log.fits_at_max_iter + log.fits_stalled
    if protocol == 'converged' and stuck:
        notes.append(f'{stuck} of {log.fits} fits did not converge ({log.fits_at_max_iter} hit max_iter, '
                     f'{log.fits_stalled} stalled)')
        warnings.warn(notes[-1])
    calib = {}
    if calibration and not multilabel:  # linear.py L185-188: no calibration for mAP; unseen classes can't count
        known = y_test >= 0
        calib = {**calibration_report(test_scores[known], y_test[known], scheme='paper'),
                 'temperature_scheme': 'paper', 'in_paper_code': True}
    solver = {'max_iter': max_iter or spec.max_iter, 'tol': tol or spec.tol, **log.as_dict()}
    return LinearProbeOutcome(metric=metric, test_value=value, best_wd=best_wd, best_c=best_c, val_curve=curve,
                              test_scores=test_scores, test_targets=y_test, protocol=protocol, c_mode=c_mode,
                              solver=solver, warnings=notes, calibration=calib)
