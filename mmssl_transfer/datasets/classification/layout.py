"""Shared mechanics of the classification datasets: layout checks, protocol splits and label subsets.

Every dataset class here extends an mmpretrain dataset (or mmpretrain's ``BaseDataset``) with
:class:`ProtocolSplitMixin`, which gives it the four splits the transfer protocols use:

* ``train`` / ``val``: the official validation split where the dataset has one (Aircraft, DTD, Flowers,
  VOC2007); otherwise 20% of the official training data is held out as val, as the paper's code does
  (:func:`paper_holdout_indices`; a class-stratified draw is the ``val_split='stratified'`` variant);
* ``trainval``: train + val (for a held-out val this is exactly the official training data);
* ``test``: the official test split;
* ``all``: everything the dataset holds (few-shot pools and the CD-FSL datasets, which have no splits).

It also draws label-efficiency subsets (``labels_per_class`` / ``label_fraction``) and turns a missing or
malformed dataset into one :class:`DatasetLayoutError` that names the path and draws the expected layout.
"""
from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from mmssl_transfer.errors import InputError

PROTOCOL_SPLITS = ('train', 'val', 'trainval', 'test', 'all')


class DatasetLayoutError(InputError):
    """A dataset folder is missing, incomplete or has a malformed annotation file."""

    def __init__(self, dataset: str, path: str | os.PathLike, problem: str, layout: str = '') -> None:
        self.path = Path(path)
        message = f'{dataset}: {path}: {problem}'
        if layout:
            message += f'\nexpected layout:\n{layout.rstrip()}'
        super().__init__(message)


def require_paths(dataset: str, data_root: str | os.PathLike, relative: Iterable[str], layout: str) -> None:
    """Raise :class:`DatasetLayoutError` for the first of ``relative`` (paths under ``data_root``) missing."""
    root = Path(data_root)
    if not root.is_dir():
        raise DatasetLayoutError(dataset, root, 'dataset folder not found', layout)
    for rel in relative:
        if not (root / rel).exists():
            raise DatasetLayoutError(dataset, root / rel, 'missing', layout)


def paper_holdout_indices(labels: Sequence[int], fraction: float = 0.2, seed: int = 0) -> np.ndarray:
    """The paper's held-out val (ssl-transfer ``linear.py`` L305-313, ``finetune.py`` L384-392): the indices
    ``range(N)`` shuffled after ``np.random.seed(seed)``, the first ``floor(fraction * N)`` of them. No
    stratification: the labels only give N. Sorted, as every split here keeps the dataset's order.
    """
    indices = np.arange(len(labels))
    np.random.RandomState(seed).shuffle(indices)  # the same stream as np.random.seed(seed); np.random.shuffle
    return np.sort(indices[:int(np.floor(fraction * len(indices)))])


def holdout_indices(labels: Sequence[int], fraction: float, seed: int) -> np.ndarray:
    """Indices of a seeded, class-stratified ``fraction`` of the samples (at least one per class with >= 2).

    Stratifying keeps every class present in both parts, which a plain random 20% does not guarantee on
    small classes; with the same seed the result never changes.
    """
    rng = np.random.default_rng(seed)
    by_class: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_class[int(label)].append(i)
    picked: list[int] = []
    for label in sorted(by_class):
        members = np.asarray(by_class[label])
        n_val = int(round(fraction * len(members)))
        if len(members) >= 2:
            n_val = min(max(n_val, 1), len(members) - 1)
        else:
            n_val = 0
        picked.extend(rng.permutation(members)[:n_val].tolist())
    return np.sort(np.asarray(picked, dtype=np.int64))


#: How val is held out of train where a dataset has no official val: ``paper`` (default) or ``stratified``.
VAL_SPLITS = {'paper': paper_holdout_indices, 'stratified': holdout_indices}


def label_subset_indices(labels: Sequence[int], seed: int, labels_per_class: int | None = None,
                         label_fraction: float | None = None) -> np.ndarray:
    """Seeded class-balanced subset: ``labels_per_class`` images per class, or ``label_fraction`` of each."""
    if (labels_per_class is None) == (label_fraction is None):
        raise ValueError('give exactly one of labels_per_class and label_fraction')
    if label_fraction is not None and not 0 < label_fraction <= 1:
        raise ValueError(f'label_fraction must be in (0, 1], got {label_fraction}')
    rng = np.random.default_rng(seed)
    by_class: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_class[int(label)].append(i)
    picked: list[int] = []
    for label in sorted(by_class):
        members = rng.permutation(np.asarray(by_class[label]))
        n = labels_per_class if labels_per_class is not None else max(1, int(round(label_fraction * len(members))))
        picked.extend(members[:n].tolist())
    return np.sort(np.asarray(picked, dtype=np.int64))


def _single_label(info: dict) -> int:
    label = info['gt_label']
    if isinstance(label, (list, tuple, np.ndarray)):  # multi-label: stratify on the first positive
        return int(label[0]) if len(label) else -1
    return int(label)


class ProtocolSplitMixin:
    """Adds the protocol splits, label subsets and layout errors to an mmpretrain dataset.

    A subclass sets:

    * ``LAYOUT``: the on-disk tree, shown in every layout error;
    * ``REQUIRED``: paths (relative to ``data_root``, may use ``{split}``) checked before loading;
    * ``OFFICIAL_SPLITS``: protocol split -> the split name the parent class loads (``None``: not available).
      ``val`` absent from it means val is held out of ``train`` (a seeded 20%);
    * ``IMAGES_IN_MEMORY``: True when the reader decodes the images itself (each sample holds ``img``), so
      pipelines start without ``LoadImageFromFile``.

    Args (consumed here, the rest goes to the parent dataset):
        split: One of ``train``, ``val``, ``trainval``, ``test``, ``all``.
        val_fraction: Fraction of the training data held out as val when there is no official val.
            Defaults to 0.2.
        split_seed: Seed of the held-out val. Defaults to 0.
        val_split: How val is held out (:data:`VAL_SPLITS`): ``'paper'`` (the paper's unstratified shuffle,
            the default) or ``'stratified'``.
        labels_per_class / label_fraction: Keep a seeded, class-balanced subset of the split (label-efficiency
            curves). Defaults to None (everything).
        subset_seed: Seed of that subset. Defaults to 0.
    """

    LAYOUT: str = ''
    REQUIRED: tuple[str, ...] = ()
    OFFICIAL_SPLITS: dict[str, Any] = {}
    PARENT_KWARGS: dict[str, Any] = {}
    IMAGES_IN_MEMORY: bool = False

    def __init__(self, data_root: str, split: str = 'train', val_fraction: float = 0.2, split_seed: int = 0,
                 labels_per_class: int | None = None, label_fraction: float | None = None,
                 subset_seed: int = 0, val_split: str = 'paper', **kwargs: Any) -> None:
        parent = self._init_protocol(data_root, split, val_fraction, split_seed, labels_per_class,
                                     label_fraction, subset_seed, val_split)
        super().__init__(data_root=data_root, split=parent, **{**self.PARENT_KWARGS, **kwargs})

    def _init_protocol(self, data_root: str, split: str, val_fraction: float = 0.2, split_seed: int = 0,
                       labels_per_class: int | None = None, label_fraction: float | None = None,
                       subset_seed: int = 0, val_split: str = 'paper') -> str:
        """Record the protocol arguments, check the layout, and return the parent's split name."""
        if split not in PROTOCOL_SPLITS:
            raise ValueError(f'{type(self).__name__}: split must be one of {PROTOCOL_SPLITS}, got {split!r}')
        if val_split not in VAL_SPLITS:
            raise ValueError(f'{type(self).__name__}: val_split must be one of {sorted(VAL_SPLITS)}, '
                             f'got {val_split!r}')
        self.val_split = val_split
        self.protocol_split = split
        self.val_fraction = val_fraction
        self.split_seed = split_seed
        self.labels_per_class = labels_per_class
        self.label_fraction = label_fraction
        self.subset_seed = subset_seed
        self.dataset_name = type(self).__name__
        parent = self.parent_split(split)
        required = [p.format(split=parent) for p in self.REQUIRED]
        require_paths(self.dataset_name, data_root, required, self.LAYOUT)
        return parent

    @classmethod
    def has_official_val(cls) -> bool:
        return 'val' in cls.OFFICIAL_SPLITS

    @classmethod
    def parent_split(cls, split: str) -> Any:
        """The parent's split that holds the samples of protocol ``split``."""
        if split in cls.OFFICIAL_SPLITS:
            return cls.OFFICIAL_SPLITS[split]
        if split in ('train', 'val'):  # held out of the official training data
            return cls.OFFICIAL_SPLITS['trainval']
        raise ValueError(f'{cls.__name__} has no split {split!r}; available: '
                         f'{sorted(set(cls.OFFICIAL_SPLITS) | {"train", "val"})}')

    def layout_error(self, path: str | os.PathLike, problem: str) -> DatasetLayoutError:
        return DatasetLayoutError(type(self).__name__, path, problem, self.LAYOUT)

    def load_data_list(self) -> list[dict]:
        """Load through :meth:`read_annotations`, turning parse failures into one layout error."""
        try:
            data_list = self.read_annotations()
        except DatasetLayoutError:
            raise
        except (OSError, ValueError, KeyError, IndexError, TypeError, AssertionError) as exc:
            raise self.layout_error(getattr(self, 'ann_file', '') or self.data_root,
                                    f'malformed annotations ({type(exc).__name__}: {exc})') from None
        if not data_list:
            raise self.layout_error(getattr(self, 'ann_file', '') or self.data_root,
                                    f'no samples for split {self.protocol_split!r}')
        self._check_images(data_list)
        return data_list

    def read_annotations(self) -> list[dict]:
        """The parent's split as a data list; override where the parent's reader does not fit."""
        return super().load_data_list()

    def _check_images(self, data_list: list[dict]) -> None:
        for info in data_list:
            path = info.get('img_path')
            if path is not None and not os.path.exists(path):
                raise self.layout_error(path, 'image listed in the annotations is missing')

    def filter_data(self) -> list[dict]:
        """Carve the protocol split (held-out val) and the label subset out of the parent's split."""
        data_list = self.data_list
        split = self.protocol_split
        if split in ('train', 'val') and split not in self.OFFICIAL_SPLITS:
            labels = [_single_label(d) for d in data_list]
            val = set(VAL_SPLITS[self.val_split](labels, self.val_fraction, self.split_seed).tolist())
            keep = (lambda i: i in val) if split == 'val' else (lambda i: i not in val)
            data_list = [d for i, d in enumerate(data_list) if keep(i)]
        if self.labels_per_class is not None or self.label_fraction is not None:
            labels = [_single_label(d) for d in data_list]
            idx = label_subset_indices(labels, self.subset_seed, self.labels_per_class, self.label_fraction)
            data_list = [data_list[i] for i in idx]
        return data_list
