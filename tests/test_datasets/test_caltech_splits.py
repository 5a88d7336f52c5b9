"""Caltech101's splits: the paper's files by default (from the cache, sha256-checked, every row read), our seeded
30-per-class draw as a variant; neither ever writes into the dataset folder."""
import dataclasses
import hashlib
import inspect
from pathlib import Path

import numpy as np
import pytest
from mmpretrain.datasets.categories import CALTECH101_CATEGORIES

from mmssl_transfer.datasets import catalog
from mmssl_transfer.datasets.catalog import CLS_DATASETS
from mmssl_transfer.datasets.classification import TransferCaltech101, build_cls_dataset
from mmssl_transfer.datasets.classification.caltech_splits import paper_split_dir
from mmssl_transfer.datasets.classification.layout import DatasetLayoutError, paper_holdout_indices
from mmssl_transfer.toy.classification import make_toy_classification


@pytest.fixture(scope='module')
def toy_caltech(tmp_path_factory) -> Path:
    return make_toy_classification(tmp_path_factory.mktemp('cls'), datasets=('caltech101',)) / 'caltech101'


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob('*'))


def _install_paper_files(monkeypatch, meta: Path) -> dict[str, bytes]:
    """Put split files in the paper's format where ``prepare_data.py caltech101 --download`` puts the paper's,
    and pin their sha256 (the real ones are pinned to the files at ssl-transfer@5fbb1eb)."""
    files = {part: (meta / f'{part}.txt').read_bytes() for part in ('train', 'test')}
    paper_split_dir().mkdir(parents=True)
    for part, data in files.items():
        (paper_split_dir() / f'{part}.txt').write_bytes(data)
        pinned = dataclasses.replace(catalog.CALTECH101_PAPER_SPLIT[part], sha256=hashlib.sha256(data).hexdigest())
        monkeypatch.setitem(catalog.CALTECH101_PAPER_SPLIT, part, pinned)
    return files


def test_the_paper_split_is_the_default_and_recorded_in_the_catalog():
    assert CLS_DATASETS['caltech101'].dataset_kwargs() == {'caltech_split': 'paper'}  # part of the cache key
    assert inspect.signature(TransferCaltech101).parameters['caltech_split'].default == 'paper'
    assert CLS_DATASETS['caltech101'].dataset_cfg('r', 'test')['caltech_split'] == 'paper'
    assert paper_split_dir().parent.parent == catalog.dataset_cache_dir()


def test_the_paper_split_reads_every_row_repeats_included(toy_caltech, monkeypatch):
    files = _install_paper_files(monkeypatch, toy_caltech / 'meta')
    rows = files['train'].decode().splitlines()
    assert len(rows) == 150 and len(set(rows)) < len(rows)  # drawn with replacement, as the paper's
    before = _listing(toy_caltech)
    trainval = build_cls_dataset('caltech101', str(toy_caltech), 'trainval')
    assert [f'{Path(trainval.get_data_info(i)["img_path"]).parent.name}/'
            f'{Path(trainval.get_data_info(i)["img_path"]).name} {trainval.get_data_info(i)["gt_label"]}'
            for i in range(len(trainval))] == rows  # every row, in order: a repeated image counts twice
    val = build_cls_dataset('caltech101', str(toy_caltech), 'val')
    held = paper_holdout_indices(list(range(len(rows))))  # the paper's 20% of the 150 rows
    assert [val.get_data_info(i)['img_path'] for i in range(len(val))] == \
        [trainval.get_data_info(int(i))['img_path'] for i in held]
    test = build_cls_dataset('caltech101', str(toy_caltech), 'test')
    assert len(test) == len(files['test'].decode().splitlines())
    assert not {test.get_data_info(i)['img_path'] for i in range(len(test))} & \
        {trainval.get_data_info(i)['img_path'] for i in range(len(trainval))}
    assert _listing(toy_caltech) == before  # nothing written into the dataset folder


def test_missing_or_other_split_files_are_refused_with_the_fix(toy_caltech, monkeypatch):
    with pytest.raises(DatasetLayoutError) as err:
        build_cls_dataset('caltech101', str(toy_caltech), 'test')
    message = str(err.value)
    assert message.startswith(f"TransferCaltech101: {paper_split_dir() / 'test.txt'}: the paper's split file is "
                              'missing: run `python tools/prepare_data.py caltech101 --download`')
    assert catalog.CALTECH101_PAPER_SPLIT['test'].url in message
    assert message.endswith(f'python tools/prepare_data.py caltech101 --check --root {toy_caltech}')
    _install_paper_files(monkeypatch, toy_caltech / 'meta')
    (paper_split_dir() / 'train.txt').write_text('BACKGROUND_Google/image_0001.jpg 0\n')
    with pytest.raises(DatasetLayoutError, match=r"train.txt: not the paper's split file \(sha256 [0-9a-f]{64}, "
                                                 r'expected [0-9a-f]{64} of https://raw.githubusercontent.com/'):
        build_cls_dataset('caltech101', str(toy_caltech), 'trainval')


def test_split_files_with_labels_out_of_the_class_order_are_refused(toy_caltech, tmp_path):
    (tmp_path / 'train.txt').write_text('Faces/image_0001.jpg 0\n')
    (tmp_path / 'test.txt').write_text('Faces/image_0002.jpg 1\n')
    with pytest.raises(DatasetLayoutError, match='Faces: label 0 is not the class index 1'):
        build_cls_dataset('caltech101', str(toy_caltech), 'trainval', caltech_split='files', split_dir=str(tmp_path))
    assert len(build_cls_dataset('caltech101', str(toy_caltech), 'test', caltech_split='files',
                                 split_dir=str(tmp_path))) == 1
    with pytest.raises(ValueError, match="caltech_split='files' needs split_dir"):
        build_cls_dataset('caltech101', str(toy_caltech), 'test', caltech_split='files')


def test_seeded30_refuses_a_partial_copy_and_writes_nothing(toy_caltech):
    with pytest.raises(DatasetLayoutError, match=r'5 of the 102 class folders \(missing: accordion, airplanes, '
                                                 r'anchor, ant, barrel, \.\.\.\); a partial extract\?'):
        build_cls_dataset('caltech101', str(toy_caltech), 'trainval', caltech_split='seeded30')
    assert not (catalog.dataset_cache_dir() / 'caltech101-splits').exists()


@pytest.fixture
def full_caltech(tmp_path) -> Path:
    """All 102 class folders (31 to 33 empty image files each: the split only lists names)."""
    root = tmp_path / 'caltech101'
    for i, name in enumerate(CALTECH101_CATEGORIES):
        folder = root / '101_ObjectCategories' / name
        folder.mkdir(parents=True)
        for j in range(31 + i % 3):
            (folder / f'image_{j + 1:04d}.jpg').touch()
    return root


def test_seeded30_draws_30_unique_images_per_class_into_the_cache_once(full_caltech):
    before = _listing(full_caltech)
    train = build_cls_dataset('caltech101', str(full_caltech), 'trainval', caltech_split='seeded30')
    labels = [train.get_data_info(i)['gt_label'] for i in range(len(train))]
    assert np.bincount(labels).tolist() == [30] * 102
    assert len({train.get_data_info(i)['img_path'] for i in range(len(train))}) == 3060
    assert len(build_cls_dataset('caltech101', str(full_caltech), 'test', caltech_split='seeded30')) == 34 * (1 + 2 + 3)
    assert _listing(full_caltech) == before  # the dataset folder may be a read-only mount
    (folder,) = (catalog.dataset_cache_dir() / 'caltech101-splits').iterdir()
    assert folder.name.startswith('seeded30-seed0-')
    stamp = (folder / 'train.txt').stat().st_mtime_ns
    build_cls_dataset('caltech101', str(full_caltech), 'trainval', caltech_split='seeded30')
    assert (folder / 'train.txt').stat().st_mtime_ns == stamp  # drawn once, then read
    other = build_cls_dataset('caltech101', str(full_caltech), 'trainval', caltech_split='seeded30',
                              caltech_split_seed=1)
    assert {other.get_data_info(i)['img_path'] for i in range(30)} != \
        {train.get_data_info(i)['img_path'] for i in range(30)}
    (full_caltech / '101_ObjectCategories' / 'Faces' / 'image_0099.jpg').touch()  # another copy: a new draw
    build_cls_dataset('caltech101', str(full_caltech), 'trainval', caltech_split='seeded30')
    assert len(list((catalog.dataset_cache_dir() / 'caltech101-splits').iterdir())) == 3


def test_seeded30_keeps_the_split_of_earlier_versions(full_caltech):
    """Same draw as the 30-per-class split this project wrote before it became a variant (np default_rng(0),
    classes in sorted order, images sorted by name)."""
    rng = np.random.default_rng(0)
    expected = []
    for label, name in enumerate(CALTECH101_CATEGORIES):
        images = sorted(p.name for p in (full_caltech / '101_ObjectCategories' / name).iterdir())
        expected += [f'{name}/{images[i]}' for rank, i in enumerate(rng.permutation(len(images))) if rank < 30]
    train = build_cls_dataset('caltech101', str(full_caltech), 'trainval', caltech_split='seeded30')
    got = [str(Path(train.get_data_info(i)['img_path']).relative_to(full_caltech / '101_ObjectCategories'))
           for i in range(len(train))]
    assert sorted(got) == sorted(expected)
    assert sorted(CALTECH101_CATEGORIES) == list(CALTECH101_CATEGORIES)  # sorted folder order = label order


def test_the_split_is_recorded_in_the_result_and_keys_the_feature_cache(
        toy_caltech, toy_checkpoints, tmp_path, monkeypatch):
    """The paper split (default) makes a paper-protocol result; another split is recorded and is not."""
    from mmssl_transfer.probes.experiments import linear_probe_result
    from mmssl_transfer.probes.features import ExtractionSpec
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    _install_paper_files(monkeypatch, toy_caltech / 'meta')
    common = dict(data_root=str(toy_caltech), method='mocov2', base_channels=8, batch_size=64, num_workers=0,
                  device='cpu', wds=(1e-2, 1.0), spec=ExtractionSpec(resize=32, crop=32))
    ckpt = toy_checkpoint_path(toy_checkpoints, 'mocov2')
    paper = linear_probe_result(ckpt, 'caltech101', str(tmp_path / 'cache'), **common)
    assert paper.extra['dataset_options'] == {'caltech_split': 'paper'} and paper.extra['num_train'] == 120
    files = dict(caltech_split='files', split_dir=str(toy_caltech / 'meta'))
    other = linear_probe_result(ckpt, 'caltech101', str(tmp_path / 'cache'), dataset_options=files, **common)
    assert other.extra['dataset_options'] == files and other.paper_protocol is False
    keys = sorted(p.name for p in (tmp_path / 'cache' / 'caltech101' / 'train').glob('*.safetensors'))
    assert len(keys) == 2  # one cache entry per split choice, though the files are the same here


def test_the_probe_tools_take_the_variant_for_caltech101_only(tmp_path):
    import argparse

    from mmssl_transfer.probes.cli import dataset_options_from_args
    from mmssl_transfer.probes.errors import ProbeInputError
    assert dataset_options_from_args(argparse.Namespace(caltech_split='seeded30', dataset='caltech101')) == \
        {'caltech_split': 'seeded30'}
    assert dataset_options_from_args(argparse.Namespace(caltech_split=None, dataset='dtd')) == {}
    with pytest.raises(ProbeInputError, match='--caltech-split applies to caltech101, not dtd'):
        dataset_options_from_args(argparse.Namespace(caltech_split='paper', dataset='dtd'))
