"""Recognition metrics on hand-made predictions: top-1, mean per-class accuracy, VOC07 11-point AP, CI, ECE."""
import doctest

import numpy as np
import pytest
import torch

from mmssl_transfer.evaluation.functional import calibration, classification, confidence_interval
from mmssl_transfer.evaluation.functional.calibration import (calibration_report, expected_calibration_error,
                                                              fit_temperature)
from mmssl_transfer.evaluation.functional.classification import (mean_per_class_accuracy, score_predictions,
                                                                 top1_accuracy, voc11_average_precision, voc11_map)
from mmssl_transfer.evaluation.functional.confidence_interval import mean_confidence_interval


@pytest.mark.parametrize('module', [calibration, classification, confidence_interval])
def test_docstring_examples_hold(module):
    assert doctest.testmod(module).failed == 0


def test_mean_per_class_accuracy_weights_classes_equally():
    # 9 of class 0 all right, 1 of class 1 wrong: top-1 90%, mean per class 50%
    scores = np.tile([[1.0, 0.0]], (10, 1))
    labels = np.array([0] * 9 + [1])
    assert top1_accuracy(scores, labels) == pytest.approx(90.0)
    assert mean_per_class_accuracy(scores, labels) == pytest.approx(50.0)


def _paper_voc_eval_cls(y_true, y_score):
    """Transcription of the paper's ``linear.py`` L36-58 (``voc_ap``, ``voc_eval_cls``; ``finetune.py`` has the
    same two functions), on scikit-learn's own ``precision_recall_curve``."""
    from sklearn.metrics import precision_recall_curve
    prec, rec, _ = precision_recall_curve(y_true, y_score)
    ap = 0.
    for t in np.linspace(0, 1, 11):
        p = 0 if np.sum(rec >= t) == 0 else np.max(prec[rec >= t])
        ap += p / 11.
    return ap


def test_voc11_ap_is_the_papers_on_the_worked_example():
    # positives ranked last: sklearn's curve ends with (recall 0, precision 1), so t = 0 scores 1 and the other 10
    # thresholds the best precision at recall >= t, 2/4: (1 + 10 * 0.5) / 11 = 54.55 (the devkit curve gives 50)
    assert voc11_average_precision([3, 2, 1, 0], [0, 0, 1, 1]) == pytest.approx(100 * 6 / 11)
    assert voc11_average_precision([3, 2, 1, 0], [0, 0, 1, 1]) == pytest.approx(
        100 * _paper_voc_eval_cls(np.array([0, 0, 1, 1]), np.array([3., 2, 1, 0])))
    assert round(voc11_average_precision([3, 2, 1, 0], [0, 0, 1, 1]), 2) == 54.55


@pytest.mark.parametrize('seed', range(6))
def test_voc11_ap_equals_sklearn_curve_transcription_on_random_scores_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 200))
    labels = rng.integers(0, 2, n)
    labels[rng.integers(n)] = 1
    scores = rng.integers(0, max(2, n // 4), n).astype(np.float32)  # few distinct values: many ties
    if seed % 2:
        scores = rng.normal(size=n) * 30
        scores[: n // 3] = 1.0  # a tied block, as saturated sigmoids would give
    ap = voc11_average_precision(scores, labels)
    assert ap == pytest.approx(100 * _paper_voc_eval_cls(labels, scores), abs=1e-9)
    assert voc11_average_precision(scores, labels, 'devkit') <= ap + 1e-9
    two = np.stack([scores, -scores], 1)
    targets = np.stack([labels, 1 - labels], 1)
    paper_map = 100 * np.mean([_paper_voc_eval_cls(targets[:, c], two[:, c]) for c in range(2)])
    assert voc11_map(two, targets) == pytest.approx(paper_map, abs=1e-9)
    assert score_predictions('voc11_map', two, targets) == pytest.approx(paper_map, abs=1e-9)


def test_voc11_ap_hand_computed_and_the_devkit_variant():
    assert voc11_average_precision([3, 2, 1, 0], [1, 1, 0, 0]) == pytest.approx(100.0)
    # precision 1 at recall 0.5 (6 thresholds), 2/3 at recall 1 (5 thresholds): the same in both curves
    for curve in ('paper', 'devkit'):
        assert voc11_average_precision([4, 3, 2, 1], [1, 0, 1, 0], curve) == pytest.approx(100 * (6 + 5 * 2 / 3) / 11)
    # the devkit curve (VOCevalcls, no appended point): positives ranked last give precision 2/4 at all 11
    assert voc11_average_precision([3, 2, 1, 0], [0, 0, 1, 1], 'devkit') == pytest.approx(50.0)
    assert voc11_average_precision([2, 1], [0, 1], 'devkit') == pytest.approx(50.0)
    assert score_predictions('voc11_map_devkit', np.array([[2.], [1.]]), np.array([[0], [1]])) == pytest.approx(50.0)
    # tied scores are one threshold: all tied -> one point at recall 1, precision 1/2 (plus the appended point)
    assert voc11_average_precision([1, 1], [0, 1], 'devkit') == pytest.approx(50.0)
    assert voc11_average_precision([1, 1], [1, 0], 'devkit') == pytest.approx(50.0)
    with pytest.raises(ValueError, match='curve'):
        voc11_average_precision([1, 0], [1, 0], 'area')


def test_voc11_map_skips_classes_without_positives():
    scores = np.array([[0.9, 0.1, 0.5], [0.1, 0.9, 0.5]])
    targets = np.array([[1, 0, 0], [0, 1, 0]])
    assert voc11_map(scores, targets) == pytest.approx(100.0)
    assert score_predictions('voc11_map', scores, targets) == pytest.approx(100.0)
    with pytest.raises(KeyError, match='unknown metric'):
        score_predictions('top5', scores, targets)


def test_confidence_interval_is_196_std_over_sqrt_n():
    accs = np.array([60.0, 70.0, 80.0, 90.0])
    mean, ci = mean_confidence_interval(torch.tensor(accs))
    assert mean == pytest.approx(75.0)
    assert ci == pytest.approx(1.96 * accs.std() / 2)


def test_ece_hand_cases():
    # always 100% confident and always right: perfectly calibrated
    assert expected_calibration_error(np.eye(3), [0, 1, 2]) == pytest.approx(0.0)
    # two bins: conf 0.9 with acc 0.5 (weight 1/2) and conf 0.6 with acc 1.0 (weight 1/2)
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.4, 0.6]])
    labels = np.array([0, 1, 0, 1])
    assert expected_calibration_error(probs, labels) == pytest.approx(100 * (0.5 * 0.4 + 0.5 * 0.4))


def test_temperature_scaling_recovers_the_temperature_and_lowers_ece():
    gen = torch.Generator().manual_seed(0)
    true_logits = torch.randn(2000, 10, generator=gen) * 2
    labels = torch.multinomial(torch.softmax(true_logits, 1), 1, generator=gen).squeeze(1)
    overconfident = true_logits * 3
    assert fit_temperature(overconfident, labels) == pytest.approx(3.0, rel=0.1)
    report = calibration_report(overconfident, labels)
    assert report['ece_temperature_scaled'] < report['ece'] / 3
    assert report['ece_bins'] == 15


def test_every_catalog_metric_has_a_metric_function():
    """The dataset catalog names each dataset's metric; evaluation computes it (the catalog does not import it)."""
    from mmssl_transfer.datasets.catalog import CLS_DATASETS
    from mmssl_transfer.evaluation.functional.classification import CLS_METRIC_FUNCTIONS
    assert {spec.metric for spec in CLS_DATASETS.values()} <= set(CLS_METRIC_FUNCTIONS)
