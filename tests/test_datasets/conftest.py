"""The toy world the data-preparation tests read: what tools/make_toy_data.py writes for the datasets."""
from pathlib import Path

import pytest

from mmssl_transfer.toy import make_toy


@pytest.fixture(scope='module')
def toy_world(tmp_path_factory) -> Path:
    """The toy datasets (no checkpoints), once per test module."""
    out = tmp_path_factory.mktemp('toy')
    for kind in ('classification', 'voc', 'ade20k', 'nyuv2'):
        make_toy(kind, out)
    return out
