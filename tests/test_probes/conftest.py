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
