"""The linear-probe protocols end to end on features: the paper's path (parity, warm-start chain, selection,
refit), the converged variant's bookkeeping, fixed and published C.

References: ssl-transfer ``linear.py`` (commit 4e9b9c2), scikit-learn 0.22.2 ``sklearn/linear_model/_logistic.py``.
"""
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression  # reference only (requirements/tests.txt)
from sklearn.preprocessing import StandardScaler

from mmssl_transfer.probes import linear_probe, logistic
from mmssl_transfer.probes.features import FeatureSet
from mmssl_transfer.probes.linear_probe import run_linear_probe, select_best
from mmssl_transfer.probes.paper_c import paper_selected_c, paper_selected_c_table
from mmssl_transfer.tasks import LINEAR_PROBE_WDS


def _digits_splits():
    """Standardised digits shuffled with seed 0, then 60% train, 20% val, 20% test."""
    x, y = load_digits(return_X_y=True)
    x = StandardScaler().fit_transform(x).astype(np.float32)
    order = np.arange(len(x))
    np.random.RandomState(0).shuffle(order)
    x, y = x[order], y[order]
    a, b = int(0.6 * len(x)), int(0.8 * len(x))
    return (x[:a], y[:a]), (x[a:b], y[a:b]), (x[b:], y[b:])


def _sets(splits):
    return [FeatureSet(torch.from_numpy(x), torch.from_numpy(y)) for x, y in splits]


def _accuracy(weight, bias, x, y):
    return float(((x @ weight.T + bias).argmax(1) == y).mean() * 100)


@pytest.fixture(scope='module')
def digits_paper():
    splits = _digits_splits()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # module scope: set up before the per-test single_torch_thread fixture
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return splits, run_linear_probe(*_sets(splits), metric='top1', device='cpu', calibration=False)
    finally:
        torch.set_num_threads(threads)


def test_paper_protocol_equals_the_summed_objective_scipy_reference_on_digits(digits_paper, sklearn_022_fit):
    # the reference: linear.py L157-177 with sklearn 0.22.2's fit (sklearn_022_fit) in numpy: every wd of the
    # grid in order from one warm-started state, strict '>' on val accuracy, the refit from the last state
    (train, val, test), ours = digits_paper
    w, best_score, best_c = np.zeros(10 * 65), 0.0, None
    for wd in LINEAR_PROBE_WDS:
        w = sklearn_022_fit(train[0], train[1], 1 / wd, 10, w).x
        params = w.reshape(10, -1)
        score = _accuracy(params[:, :-1], params[:, -1], *val)
        if score > best_score:
            best_score, best_c = score, 1 / wd
    trainval = np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]])
    params = sklearn_022_fit(*trainval, best_c, 10, w).x.reshape(10, -1)
    assert ours.best_c == best_c
    assert abs(ours.test_value - _accuracy(params[:, :-1], params[:, -1], *test)) <= 0.3
    assert ours.best_val == pytest.approx(best_score)


def test_paper_protocol_matches_the_installed_sklearn_lbfgs_on_digits(digits_paper):
    # The installed scikit-learn (>= 1.1) minimises the *mean* objective and tests tol on its gradient; tol / N
    # is 0.22.2's test on the summed gradient (max_iter=100 and the warm-started path unchanged; it also lets
    # the line search take 50 steps where 0.22.2's scipy call keeps the default 20).
    (train, val, test), ours = digits_paper
    clf = LogisticRegression(warm_start=True, max_iter=100, tol=1e-4 / len(train[1]))
    best_score, best_c = 0.0, None
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for wd in LINEAR_PROBE_WDS:
            clf.set_params(C=1 / wd).fit(train[0].astype(np.float64), train[1])
            score = clf.score(val[0].astype(np.float64), val[1]) * 100
            if score > best_score:
                best_score, best_c = score, 1 / wd
        trainval = np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]])
        clf.set_params(C=best_c, tol=1e-4 / len(trainval[1])).fit(trainval[0].astype(np.float64), trainval[1])
    assert ours.best_c == best_c
    assert abs(ours.test_value - clf.score(test[0].astype(np.float64), test[1]) * 100) <= 0.3


def test_paper_protocol_records_every_fit(digits_paper):
    _, ours = digits_paper
    solver = ours.solver
    assert (ours.protocol, ours.c_mode, solver['max_iter'], solver['tol']) == ('paper', 'sweep', 100, 1e-4)
    assert solver['fits'] == 46  # 45 grid points + the refit
    assert solver['fits_at_max_iter'] >= 1  # C = 1e6 from zeros needs more than 100 iterations on digits
    assert solver['fits_converged'] + solver['fits_at_max_iter'] + solver['fits_stalled'] == 46
    assert [p['wd'] for p in ours.val_curve] == list(LINEAR_PROBE_WDS)


class _Spy:
    """Wraps the paper's per-fit solver, recording (C, classes, rows, init) of each call and its output."""

    def __init__(self, monkeypatch):
        self.calls, self.real = [], logistic.fit_logistic_paper
        monkeypatch.setattr(logistic, 'fit_logistic_paper', self)

    def __call__(self, x, y, c, num_classes=None, init=None, **kw):
        out = self.real(x, y, c, num_classes, init=init, **kw)
        self.calls.append({'c': c, 'k': num_classes, 'n': len(y), 'init': init, 'out': out})
        return out


def _small(multilabel=False, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, 90)
    x = (rng.normal(0, 1, (3, 6))[y] + rng.normal(0, 1, (90, 6))).astype(np.float32)
    labels = np.eye(3)[y] if multilabel else y
    return [FeatureSet(torch.from_numpy(x[i::3]), torch.from_numpy(labels[i::3])) for i in range(3)]


def test_sweep_warm_starts_in_the_papers_order_and_refits_from_the_last_fit(monkeypatch):
    # linear.py L162-169: one classifier object, wd in increasing order (C = 1 / wd decreasing), each fit starting
    # from the previous (warm_start=True); L176-177: the train+val fit at the best C reuses the same object, so it
    # starts from the last fit of the sweep (the smallest C), not from the best one
    spy = _Spy(monkeypatch)
    wds = (1e-3, 1e-1, 10.0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        out = run_linear_probe(*_small(), metric='top1', wds=wds, device='cpu', calibration=False)
    assert [call['c'] for call in spy.calls[:3]] == [1e3, 10.0, 0.1]
    assert spy.calls[0]['init'] is None
    assert spy.calls[1]['init'] is spy.calls[0]['out'] and spy.calls[2]['init'] is spy.calls[1]['out']
    refit = spy.calls[3]
    assert len(spy.calls) == 4 and refit['c'] == out.best_c and refit['n'] == 60
    assert refit['init'] is spy.calls[2]['out']  # the C = 0.1 model, whichever C won


def test_voc_binary_fits_chain_across_classes_and_grid_points(monkeypatch):
    # linear.py L97-105: for every C, the same object fits class 0, 1, ... in turn (2-class problems), so class c
    # starts from class c-1 and class 0 from the previous C's last class; the refit continues the chain
    spy = _Spy(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        out = run_linear_probe(*_small(multilabel=True), metric='voc11_map', multilabel=True, wds=(1e-2, 1.0),
                               device='cpu', calibration=False)
    assert [(call['c'], call['k']) for call in spy.calls] == [(100.0, 2)] * 3 + [(1.0, 2)] * 3 + [(out.best_c, 2)] * 3
    assert spy.calls[0]['init'] is None
    for previous, call in zip(spy.calls, spy.calls[1:]):
        assert call['init'] is previous['out']
    assert out.solver['fits'] == 9


def test_fixed_c_skips_the_sweep_and_fits_train_val_from_zeros(monkeypatch):
    # linear.py L437-441: with -c, validate() is skipped and evaluate() fits a fresh object at that C
    spy = _Spy(monkeypatch)
    out = run_linear_probe(*_small(), metric='top1', c=0.3, device='cpu', calibration=False)
    assert len(spy.calls) == 1 and spy.calls[0]['init'] is None and spy.calls[0]['c'] == 0.3
    assert spy.calls[0]['n'] == 60 and out.val_curve == [] and out.c_mode == 'fixed' and out.best_c == 0.3


def test_first_best_val_wins_so_ties_keep_the_larger_c():
    # linear.py L161-169: best_score = 0, then 'if test_score > best_score' in grid order (C decreasing)
    curve = [{'C': 1e2, 'val': 50.0}, {'C': 1e1, 'val': 60.0}, {'C': 1.0, 'val': 60.0}, {'C': 0.1, 'val': 10.0}]
    assert select_best(curve) == 1
    assert select_best([{'C': 1.0, 'val': 0.0}, {'C': 0.1, 'val': 0.0}]) == 0


def test_converged_protocol_counts_fits_that_hit_max_iter():
    with pytest.warns(UserWarning, match='did not converge'):
        out = run_linear_probe(*_small(), metric='top1', protocol='converged', wds=(1e-4, 1.0), device='cpu',
                               max_iter=1, calibration=False)
    assert out.solver['fits'] == 3 and out.solver['fits_at_max_iter'] >= 1
    assert out.protocol == 'converged' and out.solver['max_iter'] == 1


def test_converged_protocol_selects_like_the_paper_on_digits(digits_paper):
    splits, paper = digits_paper
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        conv = run_linear_probe(*_sets(splits), metric='top1', protocol='converged', device='cpu',
                                calibration=False)
    assert conv.solver['fits'] == 46 and conv.solver['fits_converged'] >= 40
    assert abs(conv.test_value - paper.test_value) <= 2.0  # same objective; the paper's stops at 100 iterations


def test_paper_c_comes_from_the_shipped_table_snapped_to_the_grid():
    table = paper_selected_c_table()
    assert len(table) == 14 * 11  # 14 models x 11 datasets
    grid = np.array([1 / wd for wd in LINEAR_PROBE_WDS])
    for (method, dataset), printed in table.items():
        c = paper_selected_c(method, dataset)
        assert c in grid and c == pytest.approx(printed, rel=0.005)  # printed to 3 significant digits
    assert paper_selected_c('mocov2', 'dtd') == pytest.approx(10 ** 3.25)  # row moco-v2: 1.78e+03
    assert paper_selected_c('simclrv1', 'cifar10') == pytest.approx(10 ** -0.5)  # row "simclr-v1 (--no-norm)"


def test_run_refuses_a_bad_protocol_or_c():
    from mmssl_transfer.probes.errors import ProbeInputError
    with pytest.raises(ProbeInputError, match='unknown linear-probe protocol'):
        run_linear_probe(*_small(), metric='top1', protocol='fast', device='cpu')
    with pytest.raises(ProbeInputError, match='C must be positive'):
        run_linear_probe(*_small(), metric='top1', c=0.0, device='cpu')
    assert linear_probe.C_MODES == ('sweep', 'fixed', 'paper-c')
