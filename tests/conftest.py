"""Shared fixtures: the toy checkpoints every test area needs, written once per session."""
import copy
import os
from pathlib import Path

import pytest
import torch

import mmssl_transfer  # noqa: F401  (arms the mmcv-lite ops stand-in before any test imports mmcv.ops)

os.environ.setdefault('OMP_NUM_THREADS', '2')
torch.set_num_threads(2)

#: Width of toy checkpoints (ResNet-50 key layout, stage widths 4x this). Full width is 64.
TOY_WIDTH = 8


@pytest.fixture(autouse=True)
def isolated_default_scope():
    """mmengine's default scope is global per process: a test (or a Runner it builds) that sets one must not
    decide which registry the next test builds from."""
    from mmengine.registry import DefaultScope
    saved = copy.copy(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = saved


@pytest.fixture(scope='session')
def toy_checkpoints(tmp_path_factory) -> Path:
    """Folder with one toy checkpoint per zoo method in its original on-disk layout (width TOY_WIDTH)."""
    from mmssl_transfer.toy import make_toy
    return make_toy('checkpoints', tmp_path_factory.mktemp('toy'), seed=0, base_channels=TOY_WIDTH)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """$MMSSL_CACHE (downloads, split files) in a fresh folder per test: no test reads or writes the user's cache."""
    monkeypatch.setenv('MMSSL_CACHE', str(tmp_path_factory.mktemp('mmssl-cache')))
