"""The 15 recognition datasets load from their toy layouts with the protocol splits, and fail clearly when broken."""
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from mmssl_transfer.datasets.classification import (CLS_DATASETS, FEWSHOT_DATASETS, MANY_SHOT_DATASETS,
                                                    DatasetLayoutError, build_cls_dataset, holdout_indices,
                                                    label_subset_indices)
from mmssl_transfer.datasets.classification.layout import paper_holdout_indices
from mmssl_transfer.toy.classification import make_toy_classification


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory) -> Path:
    return make_toy_classification(tmp_path_factory.mktemp('cls'), seed=0)


def _labels(ds):
    return [ds.get_data_info(i)['gt_label'] for i in range(len(ds))]


def _ids(ds):
    out = []
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        out.append(info.get('img_path') or info['img'].tobytes())
    return out


def test_catalog_matches_the_paper_protocol():
    paper = {n for n, s in CLS_DATASETS.items() if s.in_paper}
    assert len(MANY_SHOT_DATASETS) == 11 and len(paper) == 15 and set(CLS_DATASETS) - paper == {'clevr_count'}
    assert set(FEWSHOT_DATASETS) == paper - {'voc2007'}
    assert {n for n, s in CLS_DATASETS.items() if 50 not in s.fewshot_shots} == {'caltech101', 'cars', 'flowers',
                                                                                 'voc2007'}
    mean_per_class = {n for n, s in CLS_DATASETS.items() if s.metric == 'mean_per_class'}
    assert mean_per_class == {'aircraft', 'caltech101', 'flowers', 'pets'}
    assert CLS_DATASETS['voc2007'].metric == 'voc11_map'
    assert {n for n, s in CLS_DATASETS.items() if s.official_val} == {'aircraft', 'dtd', 'flowers', 'voc2007'}
    assert [CLS_DATASETS[n].num_classes for n in ('aircraft', 'caltech101', 'cars', 'sun397')] == [100, 102, 196, 397]


def _toy_kwargs(toy_root, name):
    """Caltech101's toy reads the toy's own split files (the paper's list the official images)."""
    return dict(caltech_split='files', split_dir=str(toy_root / name / 'meta')) if name == 'caltech101' else {}


@pytest.mark.parametrize('name', MANY_SHOT_DATASETS)
def test_many_shot_splits_are_disjoint_and_trainval_is_their_union(toy_root, name):
    splits = {s: build_cls_dataset(name, str(toy_root / name), s, **_toy_kwargs(toy_root, name))
              for s in ('train', 'val', 'trainval', 'test')}
    ids = {s: _ids(ds) for s, ds in splits.items()}
    assert all(len(v) > 0 for v in ids.values())
    if name != 'caltech101':  # its train.txt repeats images (drawn with replacement): val may share them
        assert not set(ids['train']) & set(ids['val'])
    assert not set(ids['trainval']) & set(ids['test'])
    assert sorted(ids['train'] + ids['val']) == sorted(ids['trainval'])
    labels = _labels(splits['trainval'])
    flat = [c for v in labels for c in (v if isinstance(v, list) else [v])]
    assert min(flat) >= 0 and max(flat) < len(splits['train'].CLASSES) <= CLS_DATASETS[name].num_classes
    assert len(set(flat)) == 5  # every toy class present


@pytest.mark.parametrize('name', ['cropdiseases', 'eurosat', 'isic2018', 'chestx'])
def test_cdfsl_datasets_load_all_images_with_labels(toy_root, name):
    ds = build_cls_dataset(name, str(toy_root / name), 'all')
    labels = np.array(_labels(ds))
    assert len(ds) == 100 and np.bincount(labels).tolist() == [20] * 5


def test_chestx_drops_no_finding_and_multi_label_rows(toy_root):
    table = (toy_root / 'chestx' / 'Data_Entry_2017.csv').read_text()
    assert 'No Finding' in table and 'Atelectasis|Cardiomegaly' in table
    ds = build_cls_dataset('chestx', str(toy_root / 'chestx'), 'all')
    assert len(ds) == 100


def test_voc2007_difficult_only_objects_are_negatives(toy_root):
    ds = build_cls_dataset('voc2007', str(toy_root / 'voc2007'), 'train')
    info = ds.get_data_info(0)  # image 000001: class 0, plus a difficult-only object of class 2
    assert info['gt_label'] == [0] and 2 in info['gt_label_difficult']


def test_held_out_val_is_the_papers_unstratified_shuffle():
    # ssl-transfer linear.py L305-313 (and finetune.py L384-392): indices = list(range(len(train)));
    # split = int(np.floor(0.2 * N)); np.random.seed(0); np.random.shuffle(indices); val = indices[:split]
    labels = [c for c in range(4) for _ in range(13)]
    indices = list(range(len(labels)))
    np.random.seed(0)
    np.random.shuffle(indices)
    expected = sorted(indices[:int(np.floor(0.2 * len(labels)))])
    assert paper_holdout_indices(labels).tolist() == expected == paper_holdout_indices(labels, 0.2, 0).tolist()
    assert len(expected) == 10


def test_datasets_hold_out_the_papers_val_by_default_and_stratified_on_request(toy_root):
    trainval = build_cls_dataset('cifar10', str(toy_root / 'cifar10'), 'trainval')
    val = build_cls_dataset('cifar10', str(toy_root / 'cifar10'), 'val')
    ids = _ids(trainval)
    assert [ids.index(i) for i in _ids(val)] == paper_holdout_indices(ids).tolist()
    stratified = build_cls_dataset('cifar10', str(toy_root / 'cifar10'), 'val', val_split='stratified')
    assert [ids.index(i) for i in _ids(stratified)] == holdout_indices(_labels(trainval), 0.2, 0).tolist()
    with pytest.raises(ValueError, match='val_split'):
        build_cls_dataset('cifar10', str(toy_root / 'cifar10'), 'val', val_split='random')


def test_held_out_val_is_seeded_stratified_and_twenty_percent():
    labels = [c for c in range(4) for _ in range(10)]
    a, b = holdout_indices(labels, 0.2, seed=0), holdout_indices(labels, 0.2, seed=0)
    assert np.array_equal(a, b) and len(a) == 8
    assert np.bincount(np.asarray(labels)[a]).tolist() == [2, 2, 2, 2]
    assert not np.array_equal(a, holdout_indices(labels, 0.2, seed=1))


def test_label_subsets_are_class_balanced():
    labels = [c for c in range(3) for _ in range(10)]
    idx = label_subset_indices(labels, seed=0, labels_per_class=2)
    assert np.bincount(np.asarray(labels)[idx]).tolist() == [2, 2, 2]
    idx = label_subset_indices(labels, seed=0, label_fraction=0.5)
    assert np.bincount(np.asarray(labels)[idx]).tolist() == [5, 5, 5]


def test_dataset_applies_labels_per_class(toy_root):
    ds = build_cls_dataset('dtd', str(toy_root / 'dtd'), 'train', labels_per_class=3)
    assert np.bincount(_labels(ds)).tolist() == [3] * 5


def test_cifar_images_are_in_memory_uint8(toy_root):
    ds = build_cls_dataset('cifar10', str(toy_root / 'cifar10'), 'test')
    img = ds.get_data_info(0)['img']
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8


# ----------------------------------------------------------------------------------------------- errors
def test_missing_dataset_folder_names_path_and_layout(tmp_path):
    with pytest.raises(DatasetLayoutError, match='dataset folder not found') as err:
        build_cls_dataset('aircraft', str(tmp_path / 'nowhere'), 'train')
    assert 'nowhere' in str(err.value) and 'images_variant_train.txt' in str(err.value)


@pytest.mark.parametrize('name,remove', [('flowers', 'setid.mat'), ('food', 'meta/train.txt'),
                                         ('eurosat', '2750'), ('isic2018', 'ISIC2018_Task3_Training_GroundTruth')])
def test_missing_annotation_is_one_layout_error(toy_root, tmp_path, name, remove):
    root = tmp_path / name
    shutil.copytree(toy_root / name, root)
    target = root / remove
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    with pytest.raises(DatasetLayoutError, match='expected layout') as err:
        build_cls_dataset(name, str(root), CLS_DATASETS[name].splits[0])
    assert remove.split('/')[-1] in str(err.value)


def test_malformed_annotation_names_the_file(toy_root, tmp_path):
    root = tmp_path / 'aircraft'
    shutil.copytree(toy_root / 'aircraft', root)
    (root / 'data' / 'images_variant_train.txt').write_text('1000001 not-an-aircraft\n')
    with pytest.raises(DatasetLayoutError, match='malformed annotations') as err:
        build_cls_dataset('aircraft', str(root), 'train')
    assert 'images_variant_train.txt' in str(err.value)


def test_missing_image_is_named(toy_root, tmp_path):
    root = tmp_path / 'pets'
    shutil.copytree(toy_root / 'pets', root)
    (root / 'images' / 'Abyssinian_1.jpg').unlink()
    with pytest.raises(DatasetLayoutError, match='Abyssinian_1.jpg'):
        build_cls_dataset('pets', str(root), 'train')


def test_isic_csv_must_be_one_hot(toy_root, tmp_path):
    root = tmp_path / 'isic2018'
    shutil.copytree(toy_root / 'isic2018', root)
    csv = root / 'ISIC2018_Task3_Training_GroundTruth' / 'ISIC2018_Task3_Training_GroundTruth.csv'
    lines = csv.read_text().splitlines()
    lines[1] = lines[1].replace('1.0', '0.0')
    csv.write_text('\n'.join(lines) + '\n')
    with pytest.raises(DatasetLayoutError, match='one-hot'):
        build_cls_dataset('isic2018', str(root), 'all')


def test_cifar_batch_with_code_is_refused(toy_root, tmp_path):
    root = tmp_path / 'cifar10'
    shutil.copytree(toy_root / 'cifar10', root)

    class Evil:
        def __reduce__(self):
            return (print, ('pwned',))

    with open(root / 'cifar-10-batches-py' / 'test_batch', 'wb') as f:
        pickle.dump({'data': Evil()}, f, protocol=2)
    with pytest.raises(DatasetLayoutError, match=r'refused global (__builtin__|builtins)\.print'):
        build_cls_dataset('cifar10', str(root), 'test')
