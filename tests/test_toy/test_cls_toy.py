"""Toy recognition datasets: every layout written, seeded, dispatched through the toy table."""
import pytest

from mmssl_transfer.datasets.classification import CLS_DATASETS
from mmssl_transfer.toy import make_toy
from mmssl_transfer.toy.classification import TOY_WRITERS, make_toy_classification


def test_writers_cover_every_table_dataset():
    assert set(TOY_WRITERS) == set(CLS_DATASETS)


def test_make_toy_dispatch_writes_every_layout(tmp_path):
    root = make_toy('classification', tmp_path, seed=0)
    assert root == tmp_path / 'classification'
    assert {p.name for p in root.iterdir()} == set(CLS_DATASETS)
    assert (root / 'cifar10' / 'cifar-10-batches-py' / 'data_batch_5').exists()
    assert (root / 'flowers' / 'setid.mat').exists() and (root / 'cars' / 'devkit' / 'cars_meta.mat').exists()
    assert len(list((root / 'eurosat' / '2750').glob('*/*.jpg'))) == 100


def test_toy_images_are_seeded(tmp_path):
    a = make_toy_classification(tmp_path / 'a', seed=1, datasets=('dtd',))
    b = make_toy_classification(tmp_path / 'b', seed=1, datasets=('dtd',))
    c = make_toy_classification(tmp_path / 'c', seed=2, datasets=('dtd',))
    rel = 'dtd/images/banded/banded_0001.jpg'
    assert (a / rel).read_bytes() == (b / rel).read_bytes() != (c / rel).read_bytes()


def test_class_count_is_bounded(tmp_path):
    with pytest.raises(ValueError, match='num_classes'):
        make_toy_classification(tmp_path, num_classes=7)
