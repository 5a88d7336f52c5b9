"""The eleven many-shot datasets of the paper, in their official on-disk layouts.

Each class extends mmpretrain's own dataset class (same layout, same category list) with the protocol splits
of :class:`ProtocolSplitMixin`. Readers are replaced only where the parent's does not fit the protocol:

* DTD reads the official ``labels/{train,val,test}1.txt`` (split 1) instead of ``imdb.mat``;
* Flowers102 and StanfordCars read their ``.mat`` files with ``scipy.io`` (robust to 1-element arrays);
* CIFAR reads the python pickle batches with a restricted unpickler (numpy arrays and plain containers only)
  and without download (``tools/prepare_data.py`` downloads and checks the md5s torchvision and mmpretrain list);
* Caltech101 has no official split: the paper's split files are the default, our seeded split a variant, both
  kept in the dataset cache, never in the dataset folder (:mod:`.caltech_splits`);
* Stanford Cars accepts the devkit layout, torchvision's (``cars_test_annos_withlabels.mat`` at the root) and
  mmpretrain's ``car_ims/`` + ``cars_annos.mat``, and refuses a folder that mixes them.
"""
from __future__ import annotations

import json
import os
import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io
from mmengine.fileio import list_from_file
from mmpretrain.datasets import (CIFAR10, CIFAR100, DTD, SUN397, VOC, Caltech101, FGVCAircraft, Flowers102, Food101,
                                 OxfordIIITPet, StanfordCars)
from mmpretrain.registry import DATASETS

from mmssl_transfer.fileio import NUMPY_ARRAYS, restricted_load

from .caltech_splits import CALTECH_SPLITS, CaltechSplitError, paper_split_file, seeded_split_files
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
    """Caltech-101 with 102 classes (BACKGROUND_Google included), split as the paper's code splits it.

    Every row of the split file is a sample: the paper's ``train.txt`` repeats some images (drawn with
    replacement), and they are used as often as listed, as the paper's loader does (see :mod:`.caltech_splits`).

    Args:
        caltech_split: ``'paper'`` (the paper's split files from the cache, sha256-checked; the default),
            ``'seeded30'`` (30 unique training images per class drawn with ``caltech_split_seed``; a variant) or
            ``'files'`` (``train.txt`` / ``test.txt`` from ``split_dir`` as they are).
        split_dir: Folder of the split files: required for ``'files'``; for ``'paper'`` a folder holding the
            paper's files (checked) instead of the cache.
        caltech_split_seed: Seed of the ``seeded30`` draw. Defaults to 0.
    """

    LAYOUT = """\
caltech101
└── 101_ObjectCategories
    ├── BACKGROUND_Google
    │   ├── image_0001.jpg
    │   └── ...
    ├── Faces
    └── ...   (102 class folders; the split files live in the cache: prepare_data.py caltech101 --download)
"""
    REQUIRED = ('101_ObjectCategories',)
    OFFICIAL_SPLITS = {'trainval': 'train', 'test': 'test'}

    def __init__(self, data_root: str, split: str = 'train', caltech_split: str = 'paper',
                 split_dir: str | None = None, caltech_split_seed: int = 0, **kwargs: Any) -> None:
        if caltech_split not in CALTECH_SPLITS:
            raise ValueError(f'TransferCaltech101: caltech_split must be one of {CALTECH_SPLITS}, '
                             f'got {caltech_split!r}')
        if caltech_split == 'files' and split_dir is None:
            raise ValueError("TransferCaltech101: caltech_split='files' needs split_dir (the folder of train.txt "
                             'and test.txt)')
        self.caltech_split = caltech_split
        self.split_dir = split_dir
        self.caltech_split_seed = caltech_split_seed
        super().__init__(data_root=data_root, split=split, **kwargs)

    def split_file(self, part: str) -> Path:
        """The ``train`` or ``test`` split file this dataset reads."""
        if self.caltech_split == 'paper':
            return paper_split_file(part, self.split_dir)
        if self.caltech_split == 'seeded30':
            return seeded_split_files(Path(self.data_root) / '101_ObjectCategories', self.METAINFO['classes'],
                                      self.caltech_split_seed)[part]
        path = Path(self.split_dir) / f'{part}.txt'
        if not path.is_file():
            raise CaltechSplitError(path, 'split file missing')
        return path

    def read_annotations(self) -> list[dict]:
        try:
            self.ann_file = str(self.split_file(self.split))
        except CaltechSplitError as exc:
            raise self.layout_error(exc.path, exc.problem) from None
        data_list = super().read_annotations()
        for info in data_list:  # labels are the sorted class-folder order, as in the paper's files
            folder = Path(info['img_path']).parent.name
            if self.class_to_idx.get(folder) != info['gt_label']:
                raise self.layout_error(self.ann_file, f'{folder}: label {info["gt_label"]} is not the class '
                                                       f'index {self.class_to_idx.get(folder)}')
        return data_list


@DATASETS.register_module()
class TransferCars(ProtocolSplitMixin, StanfordCars):
    """Stanford Cars, 196 classes, official train / test, val held out of train.

    Three layouts are read: the devkit release (below); torchvision's, the same with
    ``cars_test_annos_withlabels.mat`` at the root; and mmpretrain's ``car_ims/`` + ``cars_annos.mat`` (every
    image in one folder, the split in the annotations' ``test`` field). The two releases number the images
    differently, so a folder holding ``cars_annos.mat`` next to ``cars_train/`` or ``cars_test/`` is refused.
    Images are listed in the annotation file's order: the devkit's is the paper's (its held-out 20% is the
    paper's); the ``car_ims/`` release's is another (a warning says so).
    """

    LAYOUT = """\
stanford_cars
├── cars_train/00001.jpg ...
├── cars_test/00001.jpg ...
├── devkit
│   ├── cars_meta.mat
│   ├── cars_train_annos.mat
│   └── cars_test_annos_withlabels.mat   (or at the root: torchvision's layout)
└── (or instead: car_ims/000001.jpg ... + cars_annos.mat: mmpretrain's layout)
"""
    OFFICIAL_SPLITS = {'trainval': 'train', 'test': 'test'}
    TEST_ANNOTATIONS = ('devkit/cars_test_annos_withlabels.mat', 'cars_test_annos_withlabels.mat')

    def __init__(self, data_root: str, split: str = 'train', **kwargs: Any) -> None:
        parent, root = self._init_protocol(data_root, split, **{
            k: kwargs.pop(k) for k in ('val_fraction', 'split_seed', 'labels_per_class', 'label_fraction',
                                       'subset_seed', 'val_split') if k in kwargs})
        self.split = parent
        ann_file, prefix = self.annotation_source(root, parent)
        super(StanfordCars, self).__init__(ann_file=ann_file, data_root=str(root), data_prefix=prefix,
                                           test_mode=parent == 'test', **kwargs)

    @classmethod
    def layout_of(cls, root: Path) -> str:
        """``'car_ims'`` or ``'devkit'`` (torchvision's included); a mix of the two releases is a ValueError."""
        if (root / 'cars_annos.mat').exists():
            mixed = [name for name in ('cars_train', 'cars_test') if (root / name).exists()]
            if mixed:
                raise ValueError(f'cars_annos.mat (the car_ims/ release) next to {" and ".join(mixed)}/ (the devkit '
                                 'release): the two number the images differently; keep one (python '
                                 'tools/prepare_data.py cars --from-archive arranges a download)')
            return 'car_ims'
        return 'devkit'

    @classmethod
    def required_paths(cls, root: Path, parent_split: Any) -> list[str]:
        if cls.layout_of(root) == 'car_ims':
            return ['cars_annos.mat', 'car_ims']
        if parent_split == 'train':
            return ['devkit/cars_train_annos.mat', 'cars_train']
        test_ann = next((p for p in cls.TEST_ANNOTATIONS if (root / p).exists()), cls.TEST_ANNOTATIONS[0])
        return [test_ann, 'cars_test']

    @classmethod
    def layout_entries(cls) -> tuple[str, ...]:
        return ('cars_train', 'cars_test', 'devkit', 'cars_test_annos_withlabels.mat', 'car_ims', 'cars_annos.mat')

    def annotation_source(self, root: Path, parent_split: str) -> tuple[str, str]:
        """(annotation file, image folder) of ``parent_split``, relative to ``root``."""
        if self.layout_of(root) == 'car_ims':
            return 'cars_annos.mat', ''
        ann, folder = self.required_paths(root, parent_split)
        return ann, folder

    def read_annotations(self) -> list[dict]:
        (annotations,) = _load_mat(self.ann_file, 'annotations')
        if 'relative_im_path' in annotations.dtype.names:  # car_ims/ release: one file, a test flag
            if self.protocol_split in ('train', 'val') and self.val_split == 'paper':
                warnings.warn(f'{self.ann_file}: the car_ims/ release orders the training images differently from '
                              "the devkit's cars_train_annos.mat that the paper read (ssl-transfer datasets/cars.py "
                              "L14-20), so the held-out 20% is not the paper's; the devkit release gives it")
            test = np.atleast_1d(annotations['test']).astype(int) == 1
            keep = test if self.split == 'test' else ~test
            paths = np.atleast_1d(annotations['relative_im_path'])[keep]
            labels = np.atleast_1d(annotations['class'])[keep]
            return [dict(img_path=os.path.join(self.data_root, str(f)), gt_label=int(c) - 1)
                    for f, c in zip(paths, labels)]
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
    ├── classes.txt  (lines like 'apple_pie')
    ├── train.json  ({"apple_pie": ["apple_pie/1005649", ...], ...}: the order the paper reads)
    ├── train.txt  (lines like 'apple_pie/1005649')
    ├── test.json
    └── test.txt
"""
    REQUIRED = ('images', 'meta/{split}.txt')
    OFFICIAL_SPLITS = {'trainval': 'train', 'test': 'test'}

    def read_annotations(self) -> list[dict]:
        """The paper's order (ssl-transfer ``datasets/food.py`` L36-43): ``meta/<split>.json`` (class -> image ids)
        walked in ``meta/classes.txt`` order, which decides which images its seeded 20% holds out. Where the
        release's ``.json`` is missing, its ``.txt`` list (mmpretrain's reader), with a warning."""
        meta = Path(self.ann_file).parent
        table_file = meta / f'{self.split}.json'
        if not table_file.exists():
            warnings.warn(f'{table_file} is missing: reading {self.ann_file} instead, whose order the paper\'s '
                          'held-out val split was not drawn from')
            return super().read_annotations()
        self.ann_file = str(table_file)
        table = json.loads(table_file.read_text(encoding='utf-8'))
        classes = self.METAINFO['classes']
        return [dict(img_path=os.path.join(self.img_prefix, f'{image_id}.jpg'), gt_label=classes.index(name))
                for name in list_from_file(str(meta / 'classes.txt')) if name.strip() for image_id in table[name]]


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
