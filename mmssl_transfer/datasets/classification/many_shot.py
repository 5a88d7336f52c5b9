"""The eleven many-shot datasets of the paper, in their official on-disk layouts.

Each class extends mmpretrain's own dataset class (same layout, same category list) with the protocol splits
of :class:`ProtocolSplitMixin`. Readers are replaced only where the parent's does not fit the protocol:

* DTD reads the official ``labels/{train,val,test}1.txt`` (split 1) instead of ``imdb.mat``;
* Flowers102 and StanfordCars read their ``.mat`` files with ``scipy.io`` (robust to 1-element arrays);
* CIFAR reads the python pickle batches with a restricted unpickler (numpy arrays and plain containers only)
  and without download;
* Caltech101 has no official split: 30 training images per class are drawn with a fixed seed and written to
  ``meta/ssl_transfer_seed{seed}_{train,test}.txt`` (mmpretrain's format) on first use, so every later run and
  every tool reads the same split.
"""
from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io
from mmengine.fileio import list_from_file
from mmengine.logging import MMLogger
from mmpretrain.datasets import (CIFAR10, CIFAR100, DTD, SUN397, VOC, Caltech101, FGVCAircraft, Flowers102, Food101,
                                 OxfordIIITPet, StanfordCars)
from mmpretrain.registry import DATASETS

from mmssl_transfer.fileio import NUMPY_ARRAYS, restricted_load, write_text_atomic

from .layout import ProtocolSplitMixin

#: What the CIFAR python batches may hold: plain containers and numpy arrays (see :mod:`mmssl_transfer.fileio`).
CIFAR_PICKLE_GLOBALS = NUMPY_ARRAYS


def _load_mat(path: str, *keys: str) -> list[np.ndarray]:
    mat = scipy.io.loadmat(path, squeeze_me=True)
    return [np.atleast_1d(mat[k]) for k in keys]


@DATASETS.register_module()
class TransferAircraft(ProtocolSplitMixin, FGVCAircraft):
    """FGVC-Aircraft 2013b, 100 variants, official train / val / test."""

    LAYOUT = """\
fgvc-aircraft-2013b
└── data
    ├── images/1025794.jpg ...
    ├── images_variant_train.txt  (lines like '1025794 707-320')
    ├── images_variant_val.txt
    ├── images_variant_trainval.txt
    └── images_variant_test.txt
"""
    REQUIRED = ('data/images', 'data/images_variant_{split}.txt')
    OFFICIAL_SPLITS = {'train': 'train', 'val': 'val', 'trainval': 'trainval', 'test': 'test'}


@DATASETS.register_module()
class TransferCaltech101(ProtocolSplitMixin, Caltech101):
    """Caltech-101 with 102 classes (BACKGROUND_Google included), 30 training images per class.

    Args:
        train_per_class: Training images per class. Defaults to 30.
        caltech_split_seed: Seed of the train/test draw. Defaults to 0.
        split_dir: Where the drawn split files live. Defaults to ``<data_root>/meta``.
    """

    LAYOUT = """\
caltech101
└── 101_ObjectCategories
    ├── BACKGROUND_Google
    │   ├── image_0001.jpg
    │   └── ...
    ├── Faces
    └── ...   (102 class folders; the split is written to meta/ on first use)
"""
    REQUIRED = ('101_ObjectCategories',)
    OFFICIAL_SPLITS = {'trainval': 'train', 'test': 'test'}

    def __init__(self, data_root: str, split: str = 'train', train_per_class: int = 30,
                 caltech_split_seed: int = 0, split_dir: str | None = None, **kwargs: Any) -> None:
        self.train_per_class = train_per_class
        self.caltech_split_seed = caltech_split_seed
        self.split_dir = Path(split_dir) if split_dir else Path(data_root) / 'meta'
        super().__init__(data_root=data_root, split=split, **kwargs)

    def split_file(self, part: str) -> Path:
        return self.split_dir / f'ssl_transfer_seed{self.caltech_split_seed}_{part}.txt'

    def read_annotations(self) -> list[dict]:
        self.write_split()
        self.ann_file = str(self.split_file(self.split))
        return super().read_annotations()

    def write_split(self) -> None:
        """Draw ``train_per_class`` images per class (seeded) for train, the rest for test; write both once."""
        if self.split_file('train').exists() and self.split_file('test').exists():
            return
        root = Path(self.data_root) / '101_ObjectCategories'
        rng = np.random.default_rng(self.caltech_split_seed)
        lines: dict[str, list[str]] = {'train': [], 'test': []}
        present = sorted(p.name for p in root.iterdir() if p.is_dir())
        unknown = [name for name in present if name not in self.class_to_idx]
        if unknown:
            raise self.layout_error(root, f'unknown class folders {unknown[:5]}')
        if len(present) != len(self.METAINFO['classes']):
            MMLogger.get_current_instance().warning(
                f'{root}: {len(present)} of the {len(self.METAINFO["classes"])} Caltech-101 class folders')
        for name in present:
            folder = root / name
            images = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in ('.jpg', '.jpeg', '.png'))
            if len(images) <= self.train_per_class:
                raise self.layout_error(folder, f'{len(images)} images, need more than {self.train_per_class}')
            order = rng.permutation(len(images))
            label = self.class_to_idx[name]
            for rank, i in enumerate(order):
                part = 'train' if rank < self.train_per_class else 'test'
                lines[part].append(f'{name}/{images[i]} {label}')
        self.split_dir.mkdir(parents=True, exist_ok=True)
        for part, rows in lines.items():
            write_text_atomic(self.split_file(part), '\n'.join(sorted(rows)) + '\n')


@DATASETS.register_module()
class TransferCars(ProtocolSplitMixin, StanfordCars):
    """Stanford Cars, 196 classes, official train / test (devkit layout), val held out of train."""

    LAYOUT = """\
Stanford_Cars
├── cars_train/00001.jpg ...
├── cars_test/00001.jpg ...
└── devkit
    ├── cars_meta.mat
    ├── cars_train_annos.mat
    └── cars_test_annos_withlabels.mat
"""
    REQUIRED = ('devkit/cars_train_annos.mat', 'devkit/cars_test_annos_withlabels.mat', 'cars_train',
                'cars_test')
    OFFICIAL_SPLITS = {'trainval': 'train', 'test': 'test'}

    def read_annotations(self) -> list[dict]:
        (annotations,) = _load_mat(self.ann_file, 'annotations')
        fnames, labels = np.atleast_1d(annotations['fname']), np.atleast_1d(annotations['class'])
        return [dict(img_path=os.path.join(self.img_prefix, str(f)), gt_label=int(c) - 1)
                for f, c in zip(fnames, labels)]


class _CIFARPickleMixin:
    """Read the official python batches with a restricted unpickler (no md5 check, no download).

    Images are kept in memory as BGR ``uint8`` arrays (mmcv's channel order after ``LoadImageFromFile``).
    """

    IMAGES_IN_MEMORY = True

    def read_annotations(self) -> list[dict]:
        root = os.path.join(self.data_prefix['root'], self.base_folder)
        files = self.train_list if self.split == 'train' else self.test_list
        images, labels = [], []
        for name, _ in files:
            path = os.path.join(root, name)
            if not os.path.exists(path):
                raise self.layout_error(path, 'missing batch file')
            try:
                with open(path, 'rb') as f:
                    entry = restricted_load(f, CIFAR_PICKLE_GLOBALS, encoding='latin1')
                images.append(np.asarray(entry['data'], dtype=np.uint8).reshape(-1, 3, 32, 32))
                labels.extend(entry['labels'] if 'labels' in entry else entry['fine_labels'])
            except (pickle.UnpicklingError, EOFError, KeyError, ValueError, TypeError) as exc:
                raise self.layout_error(path, f'not a CIFAR python batch ({exc})') from None
        # HWC in BGR order, the convention of mmcv's LoadImageFromFile, so that one pipeline and one data
        # preprocessor (to_rgb=True) serve file-based and in-memory datasets alike
        imgs = np.ascontiguousarray(np.concatenate(images).transpose(0, 2, 3, 1)[..., ::-1])
        return [{'img': img, 'gt_label': int(label)} for img, label in zip(imgs, labels)]


@DATASETS.register_module()
class TransferCIFAR10(_CIFARPickleMixin, ProtocolSplitMixin, CIFAR10):
    """CIFAR-10 python batches, official train / test, val held out of train."""

    LAYOUT = """\
cifar10
└── cifar-10-batches-py
    ├── batches.meta
    ├── data_batch_1 ... data_batch_5
    └── test_batch
"""
    REQUIRED = ('cifar-10-batches-py',)
    OFFICIAL_SPLITS = {'trainval': 'train', 'test': 'test'}
    PARENT_KWARGS = {'download': False}


@DATASETS.register_module()
class TransferCIFAR100(_CIFARPickleMixin, ProtocolSplitMixin, CIFAR100):
    """CIFAR-100 python batches (fine labels), official train / test, val held out of train."""

    LAYOUT = """\
cifar100
└── cifar-100-python
    ├── meta
    ├── train
    └── test
"""
    REQUIRED = ('cifar-100-python',)
    OFFICIAL_SPLITS = {'trainval': 'train', 'test': 'test'}
    PARENT_KWARGS = {'download': False}


@DATASETS.register_module()
class TransferDTD(ProtocolSplitMixin, DTD):
    """Describable Textures, 47 classes, official split ``partition`` (1 in the paper) from ``labels/``.

    Args:
        partition: Which of the ten official splits. Defaults to 1.
    """

    LAYOUT = """\
dtd
├── images
│   ├── banded/banded_0002.jpg ...
│   └── ...
└── labels
    ├── train1.txt   (lines like 'banded/banded_0002.jpg')
    ├── val1.txt
    └── test1.txt
"""
    REQUIRED = ('images', 'labels/train1.txt', 'labels/val1.txt', 'labels/test1.txt')
    OFFICIAL_SPLITS = {'train': 'train', 'val': 'val', 'trainval': 'trainval', 'test': 'test'}

    def __init__(self, data_root: str, split: str = 'train', partition: int = 1, **kwargs: Any) -> None:
        self.partition = partition
        super().__init__(data_root=data_root, split=split, **kwargs)

    def read_annotations(self) -> list[dict]:
        parts = ('train', 'val') if self.split == 'trainval' else (self.split,)
        data_list = []
        for part in parts:
            ann = os.path.join(self.data_root, 'labels', f'{part}{self.partition}.txt')
            self.ann_file = ann
            for line in list_from_file(ann):
                if not line.strip():
                    continue
                name = line.strip()
                data_list.append(dict(img_path=os.path.join(self.img_prefix, name),
                                      gt_label=self.class_to_idx[name.split('/')[0]]))
        return data_list


@DATASETS.register_module()
class TransferFlowers102(ProtocolSplitMixin, Flowers102):
    """Oxford Flowers-102, official train / val / test from ``setid.mat``."""

    LAYOUT = """\
flowers102
├── jpg/image_00001.jpg ...
├── imagelabels.mat  (labels: 1 x N, 1-based)
└── setid.mat        (trnid, valid, tstid: 1-based image ids)
"""
    REQUIRED = ('jpg', 'imagelabels.mat', 'setid.mat')
    OFFICIAL_SPLITS = {'train': 'train', 'val': 'val', 'trainval': 'trainval', 'test': 'test'}
    METAINFO = {'classes': tuple(f'flower_{i:03d}' for i in range(1, 103))}

    def read_annotations(self) -> list[dict]:
        (labels,) = _load_mat(self.ann_file, 'labels')
        keys = {'train': ('trnid',), 'val': ('valid',), 'test': ('tstid',), 'trainval': ('trnid', 'valid')}
        ids = np.concatenate(_load_mat(self.train_test_split_file, *keys[self.split]))
        return [dict(img_path=os.path.join(self.img_prefix, f'image_{int(i):05d}.jpg'),
                     gt_label=int(labels[int(i) - 1]) - 1) for i in ids]


@DATASETS.register_module()
class TransferFood101(ProtocolSplitMixin, Food101):
    """Food-101, official train / test, val held out of train."""

    LAYOUT = """\
food-101
├── images/apple_pie/1005649.jpg ...
└── meta
    ├── train.txt  (lines like 'apple_pie/1005649')
    └── test.txt
"""
    REQUIRED = ('images', 'meta/{split}.txt')
    OFFICIAL_SPLITS = {'trainval': 'train', 'test': 'test'}


@DATASETS.register_module()
class TransferPets(ProtocolSplitMixin, OxfordIIITPet):
    """Oxford-IIIT Pets, 37 classes, official trainval / test, val held out of trainval."""

    LAYOUT = """\
oxford-iiit-pet
├── images/Abyssinian_1.jpg ...
└── annotations
    ├── trainval.txt  (lines like 'Abyssinian_100 1 1 1')
    └── test.txt
"""
    REQUIRED = ('images', 'annotations/{split}.txt')
    OFFICIAL_SPLITS = {'trainval': 'trainval', 'test': 'test'}


@DATASETS.register_module()
class TransferSUN397(ProtocolSplitMixin, SUN397):
    """SUN397, official partition 1 (Training_01 / Testing_01), val held out of train."""

    LAYOUT = """\
SUN397
├── SUN397/a/abbey/sun_aaalbzqrimafwbiv.jpg ...
└── Partitions
    ├── Training_01.txt  (lines like '/a/abbey/sun_aaalbzqrimafwbiv.jpg')
    └── Testing_01.txt
"""
    REQUIRED = ('SUN397', 'Partitions/Training_01.txt', 'Partitions/Testing_01.txt')
    OFFICIAL_SPLITS = {'trainval': 'train', 'test': 'test'}


@DATASETS.register_module()
class TransferVOC2007(ProtocolSplitMixin, VOC):
    """PASCAL VOC2007 multi-label classification; objects marked difficult count as negatives.

    ``gt_label`` holds the classes with at least one non-difficult object (mmpretrain's VOC keeps the
    difficult-only classes apart in ``gt_label_difficult``, which the probes ignore).
    """

    LAYOUT = """\
VOC2007
├── JPEGImages/000001.jpg ...
├── Annotations/000001.xml ...
└── ImageSets/Main/{train,val,trainval,test}.txt
"""
    REQUIRED = ('JPEGImages', 'Annotations', 'ImageSets/Main/{split}.txt')
    OFFICIAL_SPLITS = {'train': 'train', 'val': 'val', 'trainval': 'trainval', 'test': 'test'}
