"""The torch L-BFGS logistic regression solves scikit-learn's problem: same optimum, same test accuracy."""
import numpy as np
import pytest
import torch

from mmssl_transfer.probes.features import FeatureSet
from mmssl_transfer.probes.linear_probe import run_linear_probe
from mmssl_transfer.probes.logistic import WD_GRID, c_grid, fit_logistic, fit_logistic_path

from sklearn.linear_model import LogisticRegression  # noqa: E402  reference only (requirements/tests.txt)


def _data(n=600, d=32, k=5, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (k, d))
    y = rng.integers(0, k, n)
    x = (centres[y] + rng.normal(0, 1.5, (n, d))).astype(np.float32)
    return x, y


def test_grid_is_the_papers():
    assert len(WD_GRID) == 45 and WD_GRID[0] == pytest.approx(1e-6) and WD_GRID[-1] == pytest.approx(1e5)
    cs = c_grid()
    assert cs == sorted(cs) and cs[0] == pytest.approx(1e-5)


@pytest.mark.parametrize('c', [1e-3, 0.1, 10.0])
def test_same_optimum_as_sklearn_multinomial(c):
    x, y = _data()
    ref = LogisticRegression(C=c, max_iter=5000, tol=1e-8).fit(x, y)
    ours = fit_logistic(torch.from_numpy(x).double(), torch.from_numpy(y), c, tol=1e-7)
    proba_ref = ref.predict_proba(x)
    proba = torch.softmax(ours.decision_function(torch.from_numpy(x)), 1).numpy()
    assert np.abs(proba - proba_ref).max() < 2e-3
    assert (proba.argmax(1) == proba_ref.argmax(1)).mean() > 0.99


def test_warm_started_path_reaches_the_cold_start_solution():
    x, y = _data()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    cs = [1e-2, 1e-1, 1.0]
    path = fit_logistic_path(xt, yt, cs, tol=1e-6)
    cold = fit_logistic(xt, yt, cs[-1], tol=1e-6)
    assert torch.allclose(torch.softmax(path[-1].decision_function(xt), 1),
                          torch.softmax(cold.decision_function(xt), 1), atol=2e-3)


def test_multilabel_batched_problem_equals_per_class_binary_sklearn():
    x, y = _data(k=3)
    targets = np.stack([(y == 0), (y == 1) | (y == 2), (y == 2)], 1).astype(np.float32)
    ours = fit_logistic(torch.from_numpy(x), torch.from_numpy(targets), 0.1, multilabel=True, tol=1e-6)
    scores = torch.sigmoid(ours.decision_function(torch.from_numpy(x))).numpy()
    for j in range(3):
        ref = LogisticRegression(C=0.1, max_iter=5000, tol=1e-8).fit(x, targets[:, j])
        assert np.abs(scores[:, j] - ref.predict_proba(x)[:, 1]).max() < 2e-3


def test_linear_probe_test_accuracy_within_03_points_of_sklearn_protocol():
    x, y = _data(n=1500, d=48, k=8, seed=1)
    splits = [(x[:900], y[:900]), (x[900:1200], y[900:1200]), (x[1200:], y[1200:])]
    wds = tuple(np.logspace(-6, 5, 12).tolist())
    sets = [FeatureSet(torch.from_numpy(a), torch.from_numpy(b)) for a, b in splits]
    ours = run_linear_probe(*sets, metric='top1', wds=wds, device='cpu', calibration=False)
    best = max(wds, key=lambda wd: ((LogisticRegression(C=1 / wd, max_iter=1000).fit(*splits[0])
                                     .predict(splits[1][0]) == splits[1][1]).mean(), wd))
    ref = LogisticRegression(C=1 / best, max_iter=1000).fit(np.concatenate([splits[0][0], splits[1][0]]),
                                                                    np.concatenate([splits[0][1], splits[1][1]]))
    ref_acc = (ref.predict(splits[2][0]) == splits[2][1]).mean() * 100
    assert abs(ours.test_value - ref_acc) <= 0.3
    assert len(ours.val_curve) == 12 and ours.best_c == pytest.approx(1 / ours.best_wd)


def test_endpoint_choice_is_warned():
    x, y = _data(n=300)
    sets = [FeatureSet(torch.from_numpy(x[i::3]), torch.from_numpy(y[i::3])) for i in range(3)]
    with pytest.warns(UserWarning, match='endpoint of the grid'):
        out = run_linear_probe(*sets, metric='top1', wds=(1e3, 1e4, 1e5), device='cpu', calibration=False)
    assert out.warnings and out.best_wd == pytest.approx(1e3)
