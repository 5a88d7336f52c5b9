"""Many-shot linear probe on cached features: C sweep on train, selection on val, refit on train+val, test.

Protocol (Ericsson et al. 2021): multinomial logistic regression (one binary problem per class for VOC07),
C = 1/wd over 45 log-spaced wd in [1e-6, 1e5], the C with the best val metric is refit on train+val and scored
on test; a C at either end of the grid is reported as a warning (the grid may be too narrow there).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import torch

from mmssl_transfer.evaluation.functional.calibration import calibration_report
from mmssl_transfer.evaluation.functional.classification import score_predictions

from .features import FeatureSet
from .logistic import WD_GRID, fit_logistic, fit_logistic_path


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
    warnings: list[str] = field(default_factory=list)
    calibration: dict[str, Any] = field(default_factory=dict)

    @property
    def best_val(self) -> float:
        return max(p['val'] for p in self.val_curve)


def _compact_labels(train: FeatureSet, *others: FeatureSet) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Map class ids to 0..K-1 over the classes seen in ``train``; unseen ids become -1 (never predicted)."""
    classes = torch.unique(train.labels)
    out = []
    for fs in (train, *others):
        pos = torch.searchsorted(classes, fs.labels).clamp_max(len(classes) - 1)
        out.append(torch.where(classes[pos] == fs.labels, pos, torch.full_like(pos, -1)))
    return classes, out


def run_linear_probe(train: FeatureSet, val: FeatureSet, test: FeatureSet, metric: str, multilabel: bool = False,
                     wds: tuple[float, ...] = WD_GRID, device: str | torch.device | None = None,
                     max_iter: int = 1000, tol: float = 1e-4, calibration: bool = True) -> LinearProbeOutcome:
    """Run the whole linear-probe protocol on three feature sets (train, val, test)."""
    device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    trainval = FeatureSet(torch.cat([train.features, val.features]), torch.cat([train.labels, val.labels]))
    if multilabel:
        k = None
        y_train, y_val, y_trainval, y_test = (fs.labels.float() for fs in (train, val, trainval, test))
    else:
        classes, (y_trainval, y_train, y_val, y_test) = _compact_labels(trainval, train, val, test)
        k = len(classes)
    x_train, x_val, x_trainval, x_test = (fs.features.to(device).float() for fs in (train, val, trainval, test))
    # warm-start order: increasing C (= decreasing wd)
    order = sorted(range(len(wds)), key=lambda i: -wds[i])
    cs = [1.0 / wds[i] for i in order]
    models = fit_logistic_path(x_train, y_train.to(device), cs, k, multilabel, max_iter, tol)
    curve = []
    for i, model in zip(order, models):
        scores = model.decision_function(x_val).cpu()
        curve.append({'wd': wds[i], 'C': 1.0 / wds[i], 'val': score_predictions(metric, scores, y_val)})
    best = max(range(len(curve)), key=lambda j: (curve[j]['val'], -j))  # ties: the stronger regularisation
    notes = []
    if best in (0, len(curve) - 1):
        notes.append(f'selected C={curve[best]["C"]:.3g} (wd={curve[best]["wd"]:.3g}) is an endpoint of the grid')
        warnings.warn(notes[-1])
    final = fit_logistic(x_trainval, y_trainval.to(device), curve[best]['C'], k, multilabel, models[best],
                         max_iter, tol)
    best_c, best_wd = curve[best]['C'], curve[best]['wd']
    test_scores = final.decision_function(x_test).cpu()
    value = score_predictions(metric, test_scores, y_test)
    calib = {}
    if calibration and not multilabel:  # test images of classes absent from train+val cannot be calibrated
        known = y_test >= 0
        calib = calibration_report(test_scores[known], y_test[known])
    curve.sort(key=lambda p: p['wd'])
    return LinearProbeOutcome(metric=metric, test_value=value, best_wd=best_wd, best_c=best_c, val_curve=curve,
                              test_scores=test_scores, test_targets=y_test, warnings=notes, calibration=calib)
