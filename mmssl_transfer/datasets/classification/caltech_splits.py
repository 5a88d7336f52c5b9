"""Caltech101's train/test splits: the paper's split files (the default) and our seeded variant, both in the cache.

Caltech101 has no official split. The paper's code reads ``caltech101-splits/{train,test}.txt`` of
linusericsson/ssl-transfer (``<class>/<image> <label>`` rows, labels in the sorted class-folder order, 102
classes with ``BACKGROUND_Google``). ``train.txt`` was drawn with ``np.random.choice`` *with replacement*: at the
pinned commit it has 3060 rows but 2416 unique images (17..30 per class); the paper's loader reads every row,
so a repeated image is trained on (and can be held out for val) as often as it is listed. We read every row the
same way. ``test.txt`` lists the 6728 other images. The files are fetched by ``tools/prepare_data.py caltech101
--download`` from the URL pinned in the catalog, sha256-checked, and kept in the dataset cache
(:func:`paper_split_dir`), never in the dataset folder (which may be a read-only mount).

Splits (``caltech_split`` of :class:`~mmssl_transfer.datasets.classification.TransferCaltech101`):

* ``paper`` (default): the paper's files, checked against their sha256 on every read;
* ``seeded30``: our variant, 30 unique training images per class drawn with a seed, the rest for test
  (3060 / 6084 images); drawn once from the class folders and kept in the cache under a fingerprint of the
  folder listing, so a copy that changes gets a new draw; refused unless all 102 class folders are present (a
  partial extract never leaves a wrong split behind);
* ``files``: ``train.txt`` / ``test.txt`` in the paper's format from a folder you give (``split_dir``): e.g.
  mmpretrain's ``meta/`` files or a toy world's; read as they are.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from mmssl_transfer.errors import InputError
from mmssl_transfer.fileio import file_sha256, write_text_atomic

from ..catalog import CALTECH101_PAPER_SPLIT, CALTECH101_PAPER_SPLIT_COMMIT, dataset_cache_dir

CALTECH_SPLITS = ('paper', 'seeded30', 'files')
SEEDED_TRAIN_PER_CLASS = 30
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png')


class CaltechSplitError(InputError):
    """A split file is missing or is not the one expected; ``path`` names it (the dataset turns this into a
    layout error that draws the layout)."""

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        self.path, self.problem = Path(path), problem
        super().__init__(f'{path}: {problem}')


def paper_split_dir() -> Path:
    """Where the paper's split files are kept: ``<dataset cache>/caltech101-splits/ssl-transfer-<commit>``."""
    return dataset_cache_dir() / 'caltech101-splits' / f'ssl-transfer-{CALTECH101_PAPER_SPLIT_COMMIT[:7]}'


def paper_split_file(part: str, split_dir: str | os.PathLike | None = None) -> Path:
    """The paper's ``train.txt`` / ``test.txt`` (``part``: ``train`` or ``test``), sha256-checked.

    Raises:
        CaltechSplitError: the file is missing (the message gives the command and the URL that fetch it) or is
            not the paper's (sha256 differs).
    """
    remote = CALTECH101_PAPER_SPLIT[part]
    folder = Path(split_dir) if split_dir is not None else paper_split_dir()
    path = folder / f'{part}.txt'
    if not path.is_file():
        raise CaltechSplitError(path, "the paper's split file is missing: run `python tools/prepare_data.py "
                                      f'caltech101 --download` (fetches only what is missing), or fetch '
                                      f'{remote.url} into {folder}')
    actual = file_sha256(path)
    if actual != remote.sha256:
        raise CaltechSplitError(path, f"not the paper's split file (sha256 {actual}, expected {remote.sha256} of "
                                      f'{remote.url}); delete it and run `python tools/prepare_data.py caltech101 '
                                      "--download`, or use caltech_split='files' for a split of your own")
    return path


def class_folder_listing(images_root: str | os.PathLike) -> dict[str, list[str]]:
    """Class folder -> sorted image names under ``images_root`` (``101_ObjectCategories``)."""
    root = Path(images_root)
    return {folder.name: sorted(p.name for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            for folder in sorted(root.iterdir()) if folder.is_dir()}


def seeded_split_files(images_root: str | os.PathLike, classes: Sequence[str], seed: int = 0) -> dict[str, Path]:
    """The ``seeded30`` split of the copy at ``images_root``: drawn once, then read from the cache.

    Each class's images (sorted by name) are permuted by ``np.random.default_rng(seed)`` (one generator over the
    classes in sorted order); the first 30 go to train, the rest to test. Refuses a copy without exactly the
    102 official class folders or with a class of 30 images or fewer.

    Returns:
        ``{'train': path, 'test': path}`` in the dataset cache, named by the seed and a fingerprint of the listing.
    """
    listing = class_folder_listing(images_root)
    missing = [c for c in classes if c not in listing]
    unknown = [c for c in listing if c not in classes]
    if unknown:
        raise CaltechSplitError(images_root, f'unknown class folders {unknown[:5]}: not Caltech-101')
    if missing:
        raise CaltechSplitError(images_root, f'{len(listing)} of the {len(classes)} class folders (missing: '
                                             f'{", ".join(missing[:5])}{", ..." if len(missing) > 5 else ""}); a '
                                             'partial extract? the seeded30 split needs the complete copy')
    fingerprint = hashlib.sha256('\n'.join(f'{c}/{n}' for c, names in listing.items() for n in names)
                                 .encode()).hexdigest()[:12]
    folder = dataset_cache_dir() / 'caltech101-splits' / f'seeded{SEEDED_TRAIN_PER_CLASS}-seed{seed}-{fingerprint}'
    files = {part: folder / f'{part}.txt' for part in ('train', 'test')}
    if all(p.is_file() for p in files.values()):
        return files
    rng = np.random.default_rng(seed)
    label = {name: i for i, name in enumerate(classes)}
    rows: dict[str, list[str]] = {'train': [], 'test': []}
    for name, images in listing.items():
        if len(images) <= SEEDED_TRAIN_PER_CLASS:
            raise CaltechSplitError(Path(images_root) / name, f'{len(images)} images, need more than '
                                                              f'{SEEDED_TRAIN_PER_CLASS}')
        for rank, i in enumerate(rng.permutation(len(images))):
            part = 'train' if rank < SEEDED_TRAIN_PER_CLASS else 'test'
            rows[part].append(f'{name}/{images[i]} {label[name]}')
    for part, path in files.items():
        write_text_atomic(path, '\n'.join(sorted(rows[part])) + '\n')
    return files
