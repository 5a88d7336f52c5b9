"""Calibration of the linear probe's test logits as the paper computes it.

References: ssl-transfer ``temperature_scaling.py`` (``cross_validate_temp_scaling``, commit 4e9b9c2) and
``linear.py`` L179-188; netcal 1.1.3 (``ECE``, ``TemperatureScaling``), the release current when the paper's
calibration code was written.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmssl_transfer.evaluation.functional import calibration
from mmssl_transfer.evaluation.functional.calibration import (NETCAL_EPS, calibration_report,
                                                              expected_calibration_error, fit_temperature, paper_folds)
from mmssl_transfer.probes.features import FeatureSet
from mmssl_transfer.probes.linear_probe import run_linear_probe


def _logits(n=53, k=4, seed=0, sharpness=3.0):
    gen = torch.Generator().manual_seed(seed)
    true = torch.randn(n, k, generator=gen)
    labels = torch.multinomial(torch.softmax(true, 1), 1, generator=gen).squeeze(1)
    return true * sharpness, labels


def test_paper_folds_shuffle_with_numpy_seed_0_and_drop_the_remainder():
    # temperature_scaling.py L85-89: indices = list(range(N)); np.random.seed(0); np.random.shuffle(indices);
    # torch.tensor(indices).split(int(N / k))[:k]
    indices = list(range(23))
    np.random.seed(0)
    np.random.shuffle(indices)
    expected = torch.tensor(indices).split(int(23 / 5))[:5]
    folds = paper_folds(23)
    assert len(folds) == 5 and all(len(f) == 4 for f in folds)
    for ours, theirs in zip(folds, expected):
        assert ours.tolist() == theirs.tolist()
    assert len(set(np.concatenate(folds).tolist())) == 20  # 3 samples are in no fold


def test_paper_scheme_fits_t_on_one_fold_and_measures_ece_on_the_other_four(monkeypatch):
    # temperature_scaling.py L100-122: valid_idx = fold i (T fitted there), test_idx = the other folds (ECE
    # measured there); the scaled ECE is the mean over the 5 folds
    logits, labels = _logits()
    fitted_on = []
    real = calibration.fit_temperature
    monkeypatch.setattr(calibration, 'fit_temperature', lambda lg, lb: fitted_on.append(len(lb)) or real(lg, lb))
    report = calibration_report(logits, labels)
    assert fitted_on == [10] * 5  # int(53 / 5) samples each; 3 dropped
    log_probs = F.softmax(logits.float(), 1).double().clamp(NETCAL_EPS, 1 - NETCAL_EPS).log()
    eces = []
    for i, fold in enumerate(paper_folds(53)):
        rest = np.concatenate([f for j, f in enumerate(paper_folds(53)) if j != i])
        assert len(rest) == 40
        t = real(log_probs[fold], labels[fold])
        eces.append(expected_calibration_error(F.softmax(log_probs[rest] / t, 1), labels[rest]))
    assert report['ece_temperature_scaled'] == pytest.approx(np.mean(eces))
    # the unscaled ECE covers every test sample (L92-94)
    assert report['ece'] == pytest.approx(expected_calibration_error(F.softmax(logits, 1), labels))
    assert report['temperature_folds'] == 5


def test_pooled_variant_fits_t_on_four_folds(monkeypatch):
    logits, labels = _logits(n=50)
    fitted_on = []
    real = calibration.fit_temperature
    monkeypatch.setattr(calibration, 'fit_temperature', lambda lg, lb: fitted_on.append(len(lb)) or real(lg, lb))
    calibration_report(logits, labels, scheme='pooled')
    assert fitted_on == [40] * 5
    with pytest.raises(ValueError, match='unknown calibration scheme'):
        calibration_report(logits, labels, scheme='other')


def test_ece_is_netcals_fifteen_left_closed_bins_in_percent():
    # netcal ECE(15): np.histogramdd over linspace(0, 1, 16): bins [a, b), values clipped to [eps, 1 - eps];
    # it returns a fraction, the paper's table (feature_properties.csv, e.g. 12.68) prints percent
    edge = float(torch.linspace(0, 1, 16, dtype=torch.float64)[6])  # 0.4 exactly, where a bin starts
    probs = np.array([[edge, 0.3, 0.3], [0.45, 0.3, 0.25]])
    labels = np.array([0, 1])  # right at confidence 0.4, wrong at 0.45
    # [a, b) bins put both in [0.4, 0.4667): |0.5 - 0.425|; (a, b] bins would split them: 0.5 * 0.6 + 0.5 * 0.45
    assert expected_calibration_error(probs, labels) == pytest.approx(100 * abs(0.5 - (edge + 0.45) / 2))
    assert expected_calibration_error(np.array([[1.0, 0.0]]), np.array([0])) == pytest.approx(100 * NETCAL_EPS)


def test_paper_scheme_sees_netcals_clipped_float32_probabilities():
    # linear.py L179-181 hands netcal float32 decision values; netcal works on log(clip(softmax, eps, 1 - eps))
    huge = torch.tensor([[0.0, 500.0], [500.0, 0.0], [0.0, 500.0], [500.0, 0.0], [0.0, 500.0]])
    capped = torch.tensor([[np.log(NETCAL_EPS), 0.0], [0.0, np.log(NETCAL_EPS)]]).repeat(3, 1)[:5]
    labels = torch.tensor([1, 0, 0, 0, 1])
    assert calibration_report(huge, labels) == pytest.approx(calibration_report(capped, labels))


def test_tiny_test_sets_fall_back_to_one_fold_per_sample():
    logits, labels = _logits(n=3)
    report = calibration_report(logits, labels)
    assert report['temperature_folds'] == 3 and 'ece_temperature_scaled' in report
    assert set(calibration_report(logits[:1], labels[:1])) == {'ece', 'ece_bins'}


def test_linear_probe_calibrates_its_float32_test_logits_the_papers_way():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 300)
    x = (rng.normal(0, 1, (4, 8))[y] + rng.normal(0, 2, (300, 8))).astype(np.float32)
    sets = [FeatureSet(torch.from_numpy(x[i::3]), torch.from_numpy(y[i::3])) for i in range(3)]
    out = run_linear_probe(*sets, metric='top1', c=1.0, device='cpu')
    assert out.test_scores.dtype == torch.float32
    expected = calibration_report(out.test_scores, out.test_targets, scheme='paper')
    assert out.calibration == {**expected, 'temperature_scheme': 'paper', 'in_paper_code': True}
    assert fit_temperature(out.test_scores, out.test_targets) > 0
