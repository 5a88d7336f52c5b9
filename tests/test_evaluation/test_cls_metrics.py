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


def test_voc11_ap_perfect_worst_and_hand_computed():
    assert voc11_average_precision([3, 2, 1, 0], [1, 1, 0, 0]) == pytest.approx(100.0)
    # positives ranked last: precision 1/3 at recall 0.5 and 2/4 at recall 1; interpolation takes the best
    # precision at recall >= t, which is 2/4 for all 11 thresholds
    assert voc11_average_precision([3, 2, 1, 0], [0, 0, 1, 1]) == pytest.approx(50.0)
    # precision 1 at recall 0.5 (6 thresholds), 2/3 at recall 1 (5 thresholds)
    assert voc11_average_precision([4, 3, 2, 1], [1, 0, 1, 0]) == pytest.approx(100 * (6 + 5 * 2 / 3) / 11)
    # 11-point interpolation, not area under the curve: one positive at rank 2 -> precision 0.5 everywhere
    assert voc11_average_precision([2, 1], [0, 1]) == pytest.approx(50.0)


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
