"""The paper's held-out val is the first 20% of a ``np.random.seed(0)`` shuffle of ``range(len(dataset))``
(ssl-transfer ``linear.py`` L305-313, ``finetune.py`` the same), so it picks the same images only if our reader
lists the training images in the order the paper's dataset class does. Each test shuffles a toy dataset's list
files (so that no sorted order can pass by chance), then compares our order and our val images with a
transcription of the paper's reader:

* Food-101: ``datasets/food.py`` L36-43, ``meta/train.json`` walked in ``meta/classes.txt`` order;
* Stanford Cars: ``datasets/cars.py`` L14-20, ``devkit/cars_train_annos.mat`` order;
* Pets: ``datasets/pets.py`` L12-21 and L56-62, ``annotations/trainval.txt`` rows;
* SUN397: ``datasets/sun397.py`` L19-25 and L44-48, ``Training_01.txt`` rows;
* Caltech101: ``datasets/caltech101.py`` L58-60, ``train.txt`` rows (repeats included);
* CIFAR-10/100: torchvision's ``CIFAR10``/``CIFAR100`` (``linear.py`` L424-425): ``train_list`` batches in order.
"""
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from mmssl_transfer.datasets.classification import build_cls_dataset
from mmssl_transfer.toy.classification import make_toy_classification


def _shuffled_lines(path: Path, rng) -> list[str]:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    lines = [lines[i] for i in rng.permutation(len(lines))]
    path.write_text('\n'.join(lines) + '\n')
    return lines


def _paper_val(n: int) -> list[int]:
    """linear.py L305-313: the held-out indices."""
    indices = list(range(n))
    np.random.seed(0)
    np.random.shuffle(indices)
    return indices[:int(np.floor(0.2 * n))]


def _tail(path: str, parts: int = 2) -> str:
    return '/'.join(Path(path).parts[-parts:])


def _ours(name: str, root: Path, **kwargs) -> tuple[list[str], list[str]]:
    full = build_cls_dataset(name, str(root), 'trainval', **kwargs)
    val = build_cls_dataset(name, str(root), 'val', **kwargs)
    return ([full.get_data_info(i)['img_path'] for i in range(len(full))],
            [val.get_data_info(i)['img_path'] for i in range(len(val))])


def _food(root: Path, rng) -> list[str]:
    meta = root / 'meta'
    table = json.loads((meta / 'train.json').read_text())
    table = {c: [ids[i] for i in rng.permutation(len(ids))] for c, ids in table.items()}  # not train.txt's order
    (meta / 'train.json').write_text(json.dumps(table))
    classes = _shuffled_lines(meta / 'classes.txt', rng)
    return [f'{image_id}.jpg' for c in classes for image_id in table[c]]


def _cars(root: Path, rng) -> list[str]:
    path = root / 'devkit' / 'cars_train_annos.mat'
    ann = scipy.io.loadmat(path)['annotations']
    ann = ann[:, rng.permutation(ann.shape[1])]
    scipy.io.savemat(path, {'annotations': ann})
    return ['cars_train/' + str(element[-1][0]) for element in scipy.io.loadmat(path)['annotations'][0]]


def _pets(root: Path, rng) -> list[str]:
    return [f"images/{line.split(' ')[0]}.jpg" for line in _shuffled_lines(root / 'annotations/trainval.txt', rng)]


def _sun397(root: Path, rng) -> list[str]:
    return [_tail(line.strip()) for line in _shuffled_lines(root / 'Partitions/Training_01.txt', rng)]


def _caltech101(root: Path, rng) -> list[str]:
    lines = _shuffled_lines(root / 'meta/train.txt', rng)
    return [line.split(' ')[0] for line in lines]


@pytest.mark.parametrize('name,reorder,kwargs', [
    ('food', _food, {}), ('cars', _cars, {}), ('pets', _pets, {}), ('sun397', _sun397, {}),
    ('caltech101', _caltech101, {'caltech_split': 'files', 'split_dir': 'meta'})])
def test_training_images_come_in_the_papers_order_and_the_val_is_the_papers(tmp_path, name, reorder, kwargs):
    root = make_toy_classification(tmp_path, datasets=(name,), num_classes=4, image_size=8, n_train=4, n_val=2,
                                   n_test=1) / name
    paper = reorder(root, np.random.default_rng(1))
    if 'split_dir' in kwargs:
        kwargs = {**kwargs, 'split_dir': str(root / kwargs['split_dir'])}
    ours, val = _ours(name, root, **kwargs)
    assert [_tail(p) for p in ours] == [_tail(p) for p in paper]
    assert len(paper) >= 20 and len(set(paper)) > 1
    assert sorted(_tail(p) for p in val) == sorted(_tail(paper[i]) for i in _paper_val(len(paper)))


@pytest.mark.parametrize('name,files', [('cifar10', [f'data_batch_{b}' for b in range(1, 6)]),
                                        ('cifar100', ['train'])])
def test_cifar_training_images_come_in_torchvisions_order(tmp_path, name, files):
    root = make_toy_classification(tmp_path, datasets=(name,), num_classes=4, image_size=32, n_train=5, n_val=5,
                                   n_test=1) / name
    folder = next(p for p in root.iterdir() if p.is_dir())
    rng = np.random.default_rng(2)
    images = []
    for f in files:  # torchvision's CIFAR10.__init__: train_list in order, rows in order
        with open(folder / f, 'rb') as fh:
            entry = pickle.load(fh, encoding='latin1')
        perm = rng.permutation(len(entry['data']))
        entry['data'] = entry['data'][perm]
        key = 'labels' if 'labels' in entry else 'fine_labels'
        entry[key] = [entry[key][i] for i in perm]
        entry['data'][:, 0] = np.arange(len(perm)) + sum(map(len, images))  # a tag per image: its paper index
        images.append(entry['data'])
        with open(folder / f, 'wb') as fh:
            pickle.dump(entry, fh, protocol=2)
    paper = np.concatenate(images)[:, 0].tolist()
    full = build_cls_dataset(name, str(root), 'trainval')
    val = build_cls_dataset(name, str(root), 'val')
    # the tag is the red channel of the first pixel (HWC, BGR in memory)
    ours = [int(full.get_data_info(i)['img'][0, 0, 2]) for i in range(len(full))]
    assert ours == paper
    assert sorted(int(val.get_data_info(i)['img'][0, 0, 2]) for i in range(len(val))) == sorted(
        paper[i] for i in _paper_val(len(paper)))


def test_food_without_its_json_reads_the_txt_list_with_a_warning(tmp_path):
    root = make_toy_classification(tmp_path, datasets=('food',), num_classes=2, image_size=8, n_train=2, n_val=1,
                                   n_test=1) / 'food'
    (root / 'meta' / 'train.json').unlink()
    with pytest.warns(UserWarning, match='train.json is missing'):
        full = build_cls_dataset('food', str(root), 'trainval')
    txt = (root / 'meta' / 'train.txt').read_text().split()
    assert [_tail(full.get_data_info(i)['img_path']) for i in range(len(full))] == [f'{r}.jpg' for r in txt]
