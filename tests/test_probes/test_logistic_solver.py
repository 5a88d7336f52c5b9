"""The linear-probe solvers: the paper's (scikit-learn 0.22.2 lbfgs, reproduced) and the converged variant.

References: ssl-transfer ``linear.py`` (commit 4e9b9c2) and scikit-learn 0.22.2 ``sklearn/linear_model/_logistic.py``
(the release the paper used; its source was read from the 0.22.2.post1 wheel).
"""
import inspect

import numpy as np
import pytest
import torch
from scipy import optimize
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression  # reference only (requirements/tests.txt)
from sklearn.preprocessing import StandardScaler

from mmssl_transfer.probes import logistic
from mmssl_transfer.probes.linear_probe import LINEAR_PROTOCOLS, run_linear_probe
from mmssl_transfer.probes.logistic import fit_logistic, fit_logistic_converged, fit_logistic_paper
from mmssl_transfer.tasks import LINEAR_PROBE_WDS, PAPER_MAX_ITER, PAPER_TOL


def minimize_reference(x: np.ndarray, y: np.ndarray, c: float, num_classes: int, tol: float = 1e-10,
                       max_iter: int = 100000) -> tuple[np.ndarray, np.ndarray]:
    """scipy's L-BFGS-B on the summed objective in plain numpy (no torch), to tight tolerance: the reference
    optimum the solvers are compared against. Returns ``(weight (K, D), bias (K,))``."""
    x = np.asarray(x, dtype=np.float64)
    onehot = np.eye(num_classes)[np.asarray(y)]

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        params = w.reshape(num_classes, -1)
        logits = x @ params[:, :-1].T + params[:, -1]
        shift = logits.max(1, keepdims=True)
        lse = np.log(np.exp(logits - shift).sum(1, keepdims=True)) + shift
        diff = np.exp(logits - lse) - onehot
        grad = np.empty_like(params)
        grad[:, :-1] = diff.T @ x + params[:, :-1] / c
        grad[:, -1] = diff.sum(0)
        return float((lse[:, 0] - (logits * onehot).sum(1)).sum() + 0.5 / c * (params[:, :-1] ** 2).sum()), \
            grad.ravel()

    w0 = np.zeros(num_classes * (x.shape[1] + 1))
    result = optimize.minimize(objective, w0, method='L-BFGS-B', jac=True,
                               options={'gtol': tol, 'ftol': 0.0, 'maxiter': max_iter, 'maxls': 50})
    params = result.x.reshape(num_classes, -1)
    return params[:, :-1], params[:, -1]


def _data(n=600, d=32, k=5, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (k, d))
    y = rng.integers(0, k, n)
    x = (centres[y] + rng.normal(0, 1.5, (n, d))).astype(np.float32)
    return x, y


def _digits():
    """scikit-learn's digits, standardised, in file order (1797 x 64, 10 classes)."""
    x, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(x).astype(np.float32), y


def _params(model):
    return torch.cat([model.weight, model.bias[:, None]], 1).double().numpy().ravel()


def test_grid_is_the_papers_float32_logspace_in_increasing_wd_order():
    # linear.py L129 and L436: wd_range = torch.logspace(-6, 5, 45), a float32 tensor;
    # L162-163: the sweep runs it in order with C = 1. / wd.item() (C from 1e6 down to 1e-5)
    assert LINEAR_PROBE_WDS == tuple(torch.logspace(-6, 5, 45).tolist())
    assert LINEAR_PROBE_WDS != tuple(np.logspace(-6, 5, 45).tolist())  # float32 values, as the paper used
    assert len(LINEAR_PROBE_WDS) == 45 and list(LINEAR_PROBE_WDS) == sorted(LINEAR_PROBE_WDS)
    assert 1 / LINEAR_PROBE_WDS[0] == pytest.approx(1e6) and 1 / LINEAR_PROBE_WDS[-1] == pytest.approx(1e-5)
    assert inspect.signature(run_linear_probe).parameters['wds'].default == LINEAR_PROBE_WDS


def test_paper_protocol_is_the_default_with_sklearn_0_22_2_solver_defaults():
    # linear.py L69: LogReg(solver='lbfgs', multi_class='multinomial', warm_start=True), nothing else set, so
    # sklearn 0.22.2's defaults hold: max_iter=100, tol=1e-4 (LogisticRegression.__init__)
    assert (PAPER_MAX_ITER, PAPER_TOL) == (100, 1e-4)
    assert (LINEAR_PROTOCOLS['paper'].max_iter, LINEAR_PROTOCOLS['paper'].tol) == (100, 1e-4)
    assert inspect.signature(run_linear_probe).parameters['protocol'].default == 'paper'
    signature = inspect.signature(fit_logistic_paper).parameters
    assert (signature['max_iter'].default, signature['tol'].default) == (100, 1e-4)


@pytest.mark.parametrize('c', [1e-4, 1.0, 1e5])
def test_paper_fit_follows_sklearn_0_22_iterates_cold_and_warm(c, sklearn_022_fit):
    x, y = _digits()
    x, y = x[:500], y[:500]
    ours = fit_logistic_paper(torch.from_numpy(x), torch.from_numpy(y), c, 10)
    ref = sklearn_022_fit(x, y, c, 10, np.zeros(10 * 65))
    assert ours.n_iter == min(ref.nit, 100)
    np.testing.assert_allclose(_params(ours), ref.x, rtol=1e-6, atol=1e-6 * np.abs(ref.x).max())
    # warm start (warm_start=True: the next fit starts from coef_ / intercept_ of this one), at a new C
    ours2 = fit_logistic_paper(torch.from_numpy(x), torch.from_numpy(y), c / 30, 10, init=ours)
    ref2 = sklearn_022_fit(x, y, c / 30, 10, ref.x)
    assert ours2.n_iter == min(ref2.nit, 100)
    np.testing.assert_allclose(_params(ours2), ref2.x, rtol=1e-6, atol=1e-6 * np.abs(ref2.x).max())


def test_paper_fit_runs_in_float64_whatever_the_feature_dtype(monkeypatch):
    seen = []
    real = logistic._lbfgsb
    monkeypatch.setattr(logistic, '_lbfgsb', lambda f, w0, *a, **k: seen.append(f.x.dtype) or real(f, w0, *a, **k))
    x, y = _data(n=100)
    fit_logistic_paper(torch.from_numpy(x), torch.from_numpy(y), 1.0)
    assert seen == [torch.float64]


def test_two_class_softmax_at_c_equals_binary_logistic_regression_at_2c():
    # linear.py L97-105: VOC07 fits each class's binary labels with the multinomial object; sklearn then optimises
    # a 2-way softmax (rows -v, v): logits differ by 2 v.x and the penalty is ||v||^2 / C, i.e. binary logistic
    # regression in u = 2 v at C' = 2 C. sklearn keeps row v as coef_ (_logistic.py L978-981).
    x, y = _data(n=400, d=16, k=2, seed=3)
    for c in (1e-3, 0.1, 10.0):
        weight, bias = minimize_reference(x, y, c, 2)  # the 2-way softmax at C, to tight tolerance
        binary = LogisticRegression(C=2 * c, tol=1e-12, max_iter=10000).fit(x.astype(np.float64), y)
        np.testing.assert_allclose(weight[0], -weight[1], atol=1e-8)
        scale = np.abs(binary.coef_).max()  # sklearn's own stopping tests leave ~1e-7 relative differences
        np.testing.assert_allclose(2 * weight[1], binary.coef_[0], rtol=1e-5, atol=1e-6 * scale)
        assert bias[1] - bias[0] == pytest.approx(float(binary.intercept_[0]), rel=1e-5, abs=1e-6 * scale)
    paper = fit_logistic_paper(torch.from_numpy(x), torch.from_numpy(y), 0.1, 2)
    assert paper.weight.shape == (1, 16) and paper.bias.shape == (1,)  # sklearn's coef_: the class-1 row


def test_binary_warm_start_is_sklearn_0_22s_minus_plus_rows(monkeypatch):
    # _logistic.py L895-897: a binary warm start coef (1, D+1) becomes w0 = [-coef; coef]
    starts = []
    real = logistic._lbfgsb
    monkeypatch.setattr(logistic, '_lbfgsb', lambda f, w0, *a, **k: starts.append(w0.copy()) or real(f, w0, *a, **k))
    x, y = _data(n=200, d=8, k=3)
    first = fit_logistic_paper(torch.from_numpy(x), torch.from_numpy((y == 0).astype(np.int64)), 1.0, 2)
    fit_logistic_paper(torch.from_numpy(x), torch.from_numpy((y == 1).astype(np.int64)), 1.0, 2, init=first)
    row = _params(first)
    assert not starts[0].any()
    np.testing.assert_array_equal(starts[1], np.concatenate([-row, row]))


@pytest.mark.parametrize('fast_dtype', [torch.float32, None])  # float32 first (the GPU path) or float64 only
def test_converged_reaches_the_optimum_where_a_float32_solve_stops_early(fast_dtype):
    # digits in file order, first 60% train, next 20% val, at the strongest regularisation of the grid (C = 1e-5):
    # the tiny weights leave the bias to decide, and a float32 L-BFGS stops after a few iterations far from it
    x, y = _digits()
    n_train, n_val = int(0.6 * len(x)), int(0.8 * len(x))
    xt, yt, xv, yv = x[:n_train], y[:n_train], x[n_train:n_val], y[n_train:n_val]
    c = 1e-5
    weight, bias = minimize_reference(xt, yt, c, 10)
    optimum_acc = ((xv @ weight.T + bias).argmax(1) == yv).mean()
    fast = fit_logistic(torch.from_numpy(xt), torch.from_numpy(yt), c, 10)
    fast_acc = (fast.decision_function(torch.from_numpy(xv)).argmax(1).numpy() == yv).mean()
    assert optimum_acc == pytest.approx(0.306, abs=0.005) and fast_acc > optimum_acc + 0.5  # 30.6% vs 87.5%
    conv = fit_logistic_converged(torch.from_numpy(xt), torch.from_numpy(yt), c, 10, fast_dtype=fast_dtype)
    conv_acc = (conv.decision_function(torch.from_numpy(xv)).argmax(1).numpy() == yv).mean()
    assert conv.status == 'converged' and conv.refit_float64 and conv.grad_max <= 1e-6
    assert conv_acc == optimum_acc
    np.testing.assert_allclose(conv.bias.numpy(), bias, atol=1e-4)
    np.testing.assert_allclose(conv.weight.numpy(), weight, atol=1e-6)


@pytest.mark.parametrize('c', [1e-3, 0.1, 10.0])
def test_converged_matches_the_tight_scipy_optimum(c):
    x, y = _data()
    weight, bias = minimize_reference(x, y, c, 5)
    conv = fit_logistic_converged(torch.from_numpy(x), torch.from_numpy(y), c, 5)
    assert conv.status == 'converged'
    proba_ref = torch.softmax(torch.from_numpy(x.astype(np.float64) @ weight.T + bias), 1)
    proba = torch.softmax(conv.decision_function(torch.from_numpy(x).double()), 1)
    assert (proba - proba_ref).abs().max() < 1e-4


def test_converged_multilabel_is_per_class_binary_sklearn():
    x, y = _data(k=3)
    targets = np.stack([(y == 0), (y == 1) | (y == 2), (y == 2)], 1).astype(np.float32)
    ours = fit_logistic_converged(torch.from_numpy(x), torch.from_numpy(targets), 0.1, multilabel=True)
    scores = torch.sigmoid(ours.decision_function(torch.from_numpy(x))).numpy()
    for j in range(3):
        ref = LogisticRegression(C=0.1, max_iter=5000, tol=1e-10).fit(x.astype(np.float64), targets[:, j])
        assert np.abs(scores[:, j] - ref.predict_proba(x.astype(np.float64))[:, 1]).max() < 1e-4


def test_converged_reports_a_fit_that_hits_its_iteration_cap():
    x, y = _data()
    capped = fit_logistic_converged(torch.from_numpy(x), torch.from_numpy(y), 1e4, 5, max_iter=3,
                                    fast_dtype=None)
    assert capped.status == 'max_iter' and capped.grad_max > 1e-6
