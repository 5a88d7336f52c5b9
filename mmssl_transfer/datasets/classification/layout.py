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
malformed dataset into one :class:`DatasetLayoutError` that names the path, draws the expected layout and gives
the command that checks (and says how to fix) the folder: ``tools/prepare_data.py DATASET --check``.

A root may be the folder of the layout or the folder an official download (torchvision's, or the archive's)
unpacked it in: ``data/dtd`` holding ``dtd/dtd/images`` works as well as ``data/dtd/dtd`` (the catalog's
``DataSource.nested_dir`` lists the sub-folders tried).
"""
from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from mmssl_transfer.errors import InputError

from ..catalog import spec_of_type

PROTOCOL_SPLITS = ('train', 'val', 'trainval', 'test', 'all')


class DatasetLayoutError(InputError):
    """A dataset folder is missing, incomplete or has a malformed annotation file.

    The message: ``<dataset>: <path>: <problem>``, then the expected layout, then the ``prepare_data.py``
    command that checks the folder (when the dataset is one of the catalog's).
    """

    def __init__(self, dataset: str, path: str | os.PathLike, problem: str, layout: str = '',
                 check_command: str = '') -> None:
        self.path = Path(path)
        self.problem = problem
        message = f'{dataset}: {path}: {problem}'
        if layout:
            message += f'\nexpected layout:\n{layout.rstrip()}'
        if check_command:
            message += f'\ncheck the folder (what is wrong, how to fix it): {check_command}'
        super().__init__(message)


def check_command(name: str, data_root: str | os.PathLike | None = None) -> str:
    """``python tools/prepare_data.py NAME --check [--root ROOT]``: the command that checks one dataset folder."""
    root = f' --root {data_root}' if data_root is not None else ''
    return f'python tools/prepare_data.py {name} --check{root}'


def resolve_root(data_root: str | os.PathLike, nested: Sequence[str],
                 complete: Callable[[Path], bool]) -> Path:
    """``data_root`` or the first of its sub-folders ``nested`` for which ``complete(folder)`` holds; the root
    itself when none does (its missing paths are then reported against it)."""
    root = Path(data_root)
    for candidate in (root, *(root / n for n in nested)):
        if candidate.is_dir() and complete(candidate):
            return candidate
    return root


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

    ``data_root`` may also be a folder holding the layout in one of the catalog's nested sub-folders
    (:func:`resolve_root`); the dataset then reads (and reports as ``data_root``) that sub-folder.

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
        parent, root = self._init_protocol(data_root, split, val_fraction, split_seed, labels_per_class,
                                           label_fraction, subset_seed, val_split)
        super().__init__(data_root=str(root), split=parent, **{**self.PARENT_KWARGS, **kwargs})

    def _init_protocol(self, data_root: str, split: str, val_fraction: float = 0.2, split_seed: int = 0,
                       labels_per_class: int | None = None, label_fraction: float | None = None,
                       subset_seed: int = 0, val_split: str = 'paper') -> tuple[str, Path]:
        """Record the protocol arguments, find and check the layout; return the parent's split name and the
        folder that holds the layout."""
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
        self.given_root = Path(data_root)
        try:
            root = resolve_root(data_root, self.nested_roots(), lambda folder: all(
                (folder / p).exists() for p in self.required_paths(folder, parent)))
            required = self.required_paths(root, parent)
        except ValueError as exc:  # a folder the dataset refuses to guess about (Cars: two releases mixed)
            raise self.layout_error(data_root, str(exc)) from None
        if not root.is_dir():
            raise self.layout_error(root, 'dataset folder not found')
        for rel in required:
            if not (root / rel).exists():
                raise self.layout_error(root / rel, 'missing')
        return parent, root

    @classmethod
    def required_paths(cls, root: Path, parent_split: Any) -> list[str]:
        """Paths under ``root`` that must exist before loading ``parent_split`` (``REQUIRED`` by default; a
        dataset with several accepted layouts decides from what ``root`` holds, and raises ValueError for a
        folder it refuses)."""
        return [p.format(split=parent_split) for p in cls.REQUIRED]

    @classmethod
    def layout_entries(cls) -> tuple[str, ...]:
        """The top-level names of the layout (what an unpacked archive must hold to be this dataset)."""
        return tuple(dict.fromkeys(p.split('/')[0] for p in cls.REQUIRED))

    @classmethod
    def catalog_name(cls) -> str | None:
        """The dataset's name in the catalog (None for a class outside it)."""
        spec = spec_of_type(cls.__name__)
        return spec.name if spec else None

    @classmethod
    def nested_roots(cls) -> tuple[str, ...]:
        """Sub-folders of a root that may hold the layout (where the official download puts it)."""
        spec = spec_of_type(cls.__name__)
        return spec.source.nested_roots if spec else ()

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
        """One :class:`DatasetLayoutError`: the path, the problem, the layout and the ``--check`` command."""
        name = self.catalog_name()
        root = getattr(self, 'given_root', None)
        command = check_command(name, root) if name else ''
        return DatasetLayoutError(type(self).__name__, path, problem, self.LAYOUT, command)

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
