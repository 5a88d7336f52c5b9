"""NormalAngularMetric: agreement with a direct numpy computation, hand-made cases, constant memory."""
import pickle

import numpy as np
import pytest
import torch

from mmssl_transfer.evaluation.functional import AngularErrorAccumulator, angular_errors
from mmssl_transfer.evaluation.metrics import NormalAngularMetric


def numpy_angles(pred, gt, valid):
    """The paper's evaluation, literally: renormalise, dot, clip, arccos, degrees, over valid pixels."""
    p = np.moveaxis(pred, 0, -1)[valid].astype(np.float64)
    g = np.moveaxis(gt, 0, -1)[valid].astype(np.float64)
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    return np.degrees(np.arccos(np.clip((p * g).sum(1), -1, 1)))


def sample(pred, gt, valid):
    """A data sample as the Runner hands it to metrics (to_dict of a SegDataSample)."""
    labels = np.where(valid, 0, 255)[None]
    return {'pred_normal_map': {'data': torch.as_tensor(pred)}, 'gt_normal_map': {'data': torch.as_tensor(gt)},
            'gt_sem_seg': {'data': torch.as_tensor(labels)}}


def random_maps(rng, height=40, width=50):
    gt = rng.normal(size=(3, height, width))
    pred = gt + rng.normal(scale=0.6, size=gt.shape)  # errors spread over 0..180 degrees
    valid = rng.random((height, width)) > 0.2
    return pred, gt, valid


def test_calculate_matches_numpy_mean_median_thresholds_rmse():
    rng = np.random.default_rng(0)
    pred, gt, valid = random_maps(rng, 120, 160)
    angles = numpy_angles(pred, gt, valid)
    metrics = NormalAngularMetric.calculate(pred, gt, valid)
    assert metrics['mean'] == pytest.approx(angles.mean(), abs=1e-9)
    assert abs(metrics['median'] - np.percentile(angles, 50)) < 0.05
    assert metrics['rmse'] == pytest.approx(np.sqrt(np.mean(angles ** 2)), abs=1e-9)
    for threshold in (11.25, 22.5, 30):
        assert metrics[f'within_{threshold:g}'] == 100.0 * np.count_nonzero(angles < threshold) / angles.size


def test_identical_maps_give_zero_degrees():
    rng = np.random.default_rng(1)
    gt = rng.normal(size=(3, 8, 8))
    metrics = NormalAngularMetric.calculate(gt * 3.0, gt)  # scale does not matter: both are renormalised
    assert metrics['mean'] == pytest.approx(0.0, abs=1e-5)
    assert metrics['median'] == pytest.approx(0.0, abs=1e-5)
    assert metrics['within_11.25'] == 100.0


def test_opposite_maps_give_180_degrees():
    gt = np.random.default_rng(2).normal(size=(3, 8, 8))
    metrics = NormalAngularMetric.calculate(-gt, gt)
    assert metrics['mean'] == pytest.approx(180.0, abs=1e-5)
    assert metrics['median'] == pytest.approx(180.0, abs=1e-5)
    assert metrics['within_30'] == 0.0


def test_invalid_pixels_are_ignored_whatever_they_hold():
    gt = np.zeros((3, 4, 4))
    gt[2] = 1.0
    pred = gt.copy()
    valid = np.ones((4, 4), dtype=bool)
    valid[0] = False
    pred[:, 0] = np.nan  # garbage (and the opposite direction) only where the ground truth is invalid
    pred[2, 0] = -1.0
    metrics = NormalAngularMetric.calculate(pred, gt, valid)
    assert metrics['mean'] == pytest.approx(0.0, abs=1e-5)
    assert metrics['within_11.25'] == 100.0


def test_all_invalid_is_an_error():
    gt = np.ones((3, 2, 2))
    with pytest.raises(ValueError, match='no valid pixels'):
        NormalAngularMetric.calculate(gt, gt, np.zeros((2, 2), bool))


def test_process_and_compute_equal_calculate_on_all_images():
    rng = np.random.default_rng(3)
    maps = [random_maps(rng, 20, 24) for _ in range(5)]
    metric = NormalAngularMetric()
    metric.process({}, [sample(*m) for m in maps[:2]])
    metric.process({}, [sample(*m) for m in maps[2:]])
    result = metric.compute_metrics(metric.results)
    angles = np.concatenate([numpy_angles(*m) for m in maps])
    assert result['mean'] == pytest.approx(angles.mean(), abs=1e-9)
    assert abs(result['median'] - np.median(angles)) < 0.05
    assert result['within_22.5'] == 100.0 * np.count_nonzero(angles < 22.5) / angles.size


def test_distributed_reduction_merges_per_process_accumulators():
    """Two 'processes' each fold their share; compute_metrics on the collected list equals one process."""
    rng = np.random.default_rng(4)
    maps = [random_maps(rng, 16, 16) for _ in range(4)]
    ranks = [NormalAngularMetric(), NormalAngularMetric()]
    ranks[0].process({}, [sample(*m) for m in maps[:3]])
    ranks[1].process({}, [sample(*m) for m in maps[3:]])
    collected = ranks[0].results + ranks[1].results  # what collect_results returns on rank 0
    single = NormalAngularMetric()
    single.process({}, [sample(*m) for m in maps])
    assert ranks[0].compute_metrics(collected) == pytest.approx(single.compute_metrics(single.results))


def test_state_size_does_not_depend_on_the_number_of_images():
    rng = np.random.default_rng(5)
    few, many = NormalAngularMetric(), NormalAngularMetric()
    few.process({}, [sample(*random_maps(rng, 32, 32))])
    for _ in range(40):
        many.process({}, [sample(*random_maps(rng, 32, 32))])
    assert len(few.results) == len(many.results) == 1
    assert many.results[0].count > 30 * few.results[0].count  # ~40x the pixels...
    assert many.results[0].histogram.nbytes == few.results[0].histogram.nbytes
    # what distributed collection ships: equal up to the width of the integer counters
    assert abs(len(pickle.dumps(few.results)) - len(pickle.dumps(many.results))) <= 16


def test_accumulator_median_error_is_below_the_bin_width_on_many_values():
    angles = np.random.default_rng(6).uniform(0, 90, size=100_001)
    accumulator = AngularErrorAccumulator()
    accumulator.update(angles)
    assert abs(accumulator.median() - np.median(angles)) < accumulator.bin_width


def test_angular_errors_checks_shapes():
    with pytest.raises(ValueError, match='differs'):
        angular_errors(np.ones((3, 2, 2)), np.ones((3, 2, 3)))
    with pytest.raises(ValueError, match='3 channels'):
        angular_errors(np.ones((2, 2, 2)), np.ones((2, 2, 2)))
