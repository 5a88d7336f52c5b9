"""Toy recognition datasets for the probe tests (written once per session, 32x32 images)."""
from pathlib import Path

import pytest


@pytest.fixture(scope='session')
def toy_cls(tmp_path_factory) -> Path:
    from mmssl_transfer.toy.classification import make_toy_classification
    return make_toy_classification(tmp_path_factory.mktemp('toy_cls'), seed=0,
                                   datasets=('dtd', 'voc2007', 'eurosat', 'flowers', 'cifar10'))


@pytest.fixture(scope='session')
def toy_ckpt(toy_checkpoints) -> Path:
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    return toy_checkpoint_path(toy_checkpoints, 'mocov2')


@pytest.fixture(autouse=True)
def single_torch_thread():
    """The probe tests run tiny models and solvers: one thread avoids oversubscribing the shared CPU cores
    (on a loaded 2-core machine, 2 threads made these tests several times slower)."""
    import torch
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _sklearn_022_fit(x, y, c, k, w0, max_iter=100, tol=1e-4):
    """scikit-learn 0.22.2's multinomial lbfgs fit in plain numpy: ``_multinomial_loss_grad`` (L250-345: summed
    loss + 0.5 * alpha * ||W||^2 with alpha = 1 / C, bias unpenalised, parameters (K, D + 1) row-major) minimised
    by ``optimize.minimize(..., method='L-BFGS-B', jac=True, options={'gtol': tol, 'maxiter': max_iter})``
    (L933-937)."""
    import numpy as np
    from scipy import optimize

    x = np.asarray(x, np.float64)
    onehot = np.eye(k)[y]

    def loss_grad(w):
        params = w.reshape(k, -1)
        z = x @ params[:, :-1].T + params[:, -1]
        shift = z.max(1, keepdims=True)
        log_p = z - (np.log(np.exp(z - shift).sum(1, keepdims=True)) + shift)
        diff = np.exp(log_p) - onehot
        grad = np.empty_like(params)
        grad[:, :-1] = diff.T @ x + params[:, :-1] / c
        grad[:, -1] = diff.sum(0)
        return -(onehot * log_p).sum() + 0.5 / c * (params[:, :-1] ** 2).sum(), grad.ravel()

    return optimize.minimize(loss_grad, w0, method='L-BFGS-B', jac=True,
                             options={'gtol': tol, 'maxiter': max_iter})


@pytest.fixture
def sklearn_022_fit():
    """The paper's per-fit solver, transcribed (see :func:`_sklearn_022_fit`)."""
    return _sklearn_022_fit
