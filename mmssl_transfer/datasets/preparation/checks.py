"""Check a dataset folder: can the readers read it, and is it the complete official copy?

A recognition dataset is checked by building every split of it with its own reader (the class the probes use:
the same required paths, annotation parsing and "every listed image exists" check), then comparing what was
read with the catalog: the size of each split against the official count, the number of classes, and for CIFAR
the md5 of each batch file (the md5s torchvision and mmpretrain list). A dense-prediction dataset is checked
file by file against its layout. ``decode`` decodes a sample of the images with the decoder the pipelines use.

The outcome (:class:`DatasetCheck`) has one of four states:

* ``complete``: readable, and every count matches the official copy;
* ``other counts``: readable, but not the official copy (a toy world, a subset, another release): the
  differences are listed. ``tools/prepare_data.py --check`` fails on it unless ``--any-counts``; a suite only
  warns;
* ``broken``: the folder exists but the readers cannot use it (a missing path, a malformed annotation, a
  listed image missing, an image that does not decode): the problem names the file;
* ``missing``: no folder.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from mmssl_transfer.errors import InputError
from mmssl_transfer.fileio import file_digest

from ..catalog import CLS_DATASETS, DATA_ROOTS, DATA_SOURCES
from ..classification.layout import DatasetLayoutError
from .layouts import locate, reader_class

COMPLETE, OTHER_COUNTS, BROKEN, MISSING = 'complete', 'other counts', 'broken', 'missing'


@dataclass
class DatasetCheck:
    """What a check of one dataset folder found.

    Attributes:
        name: Catalog name.
        root: The folder checked (as given).
        state: :data:`COMPLETE`, :data:`OTHER_COUNTS`, :data:`BROKEN` or :data:`MISSING`.
        found_at: The folder holding the layout (``root`` or the nested folder an official download created).
        counts: split -> (images read, official count or None).
        classes: (classes read, official number) for recognition datasets.
        problems: Why the readers cannot use the folder (each names a path).
        differences: How a readable folder differs from the official copy.
        notes: Anything else worth knowing (which split files were read, what was decoded).
        undecodable: Images of the decoded sample that do not decode (each is also a problem).
    """

    name: str
    root: Path
    state: str = COMPLETE
    found_at: Path | None = None
    counts: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    classes: tuple[int, int] | None = None
    problems: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    undecodable: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        """The readers can read it (complete or not)."""
        return self.state in (COMPLETE, OTHER_COUNTS)

    def ok(self, official: bool = True) -> bool:
        """Complete, or (``official=False``) at least readable."""
        return self.state == COMPLETE or (not official and self.state == OTHER_COUNTS)

    def fail(self, problem: str) -> 'DatasetCheck':
        self.state = BROKEN
        self.problems.append(problem)
        return self


def check_dataset(name: str, root: str | Path | None = None, *, official: bool = True,
                  decode: int = 0) -> DatasetCheck:
    """Check ``name``'s folder (default: the catalog's root).

    Args:
        name: A name of :data:`~mmssl_transfer.datasets.catalog.DATA_ROOTS`.
        root: The dataset folder. Defaults to the catalog's.
        official: The folder is meant to be the official copy. When False (a toy world, a subset), Caltech101 is
            read with the split files of the folder's ``meta/`` when it has them (the paper's files list the
            official images).
        decode: Decode this many images, spread over the dataset (0: none).
    """
    if name not in DATA_ROOTS:
        raise InputError(f'{name}: unknown dataset; known: {", ".join(DATA_ROOTS)}')
    check = DatasetCheck(name, Path(root if root is not None else DATA_ROOTS[name]))
    if not check.root.is_dir():
        check.state = MISSING
        check.problems.append(f'{check.root}: dataset folder not found')
        return check
    checker = _check_recognition if name in CLS_DATASETS else DENSE_CHECKS[name]
    image_paths = checker(check, official)
    if check.state == BROKEN:
        return check
    if decode and image_paths:
        _decode_sample(check, image_paths, decode)
    elif decode:
        check.notes.append('the reader decodes every image into memory (nothing left to decode)')
    if check.state != BROKEN and check.differences:
        check.state = OTHER_COUNTS
    return check


def check_datasets(roots: dict[str, str | Path], *, official: bool = True, decode: int = 0,
                   on_check: Callable[[DatasetCheck], None] | None = None) -> list[DatasetCheck]:
    """:func:`check_dataset` for each ``name -> root``, in order; ``on_check`` sees each result as it comes."""
    checks = []
    for name, root in roots.items():
        checks.append(check_dataset(name, root, official=official, decode=decode))
        if on_check:
            on_check(checks[-1])
    return checks


# ------------------------------------------------------------------------------------------ recognition
def _problem(exc: BaseException) -> str:
    if isinstance(exc, DatasetLayoutError):
        return f'{exc.path}: {exc.problem}'
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _labels(dataset) -> Iterable[int]:
    for i in range(len(dataset)):
        label = dataset.get_data_info(i)['gt_label']
        yield from (label if isinstance(label, (list, tuple, np.ndarray)) else [label])


def _caltech_kwargs(check: DatasetCheck, official: bool) -> dict[str, Any]:
    meta = locate('caltech101', check.root) / 'meta'
    if not official and (meta / 'train.txt').is_file() and (meta / 'test.txt').is_file():
        check.notes.append(f"split files read from {meta} (not the paper's)")
        return dict(caltech_split='files', split_dir=str(meta))
    return {}


def _check_recognition(check: DatasetCheck, official: bool) -> list[str]:
    from ..classification import build_cls_dataset
    spec, source = CLS_DATASETS[check.name], DATA_SOURCES[check.name]
    official_counts = dict(source.counts)
    splits = tuple(official_counts) or (('trainval', 'test') if spec.many_shot else ('all',))
    kwargs = _caltech_kwargs(check, official) if check.name == 'caltech101' else {}
    labels: set[int] = set()
    image_paths: list[str] = []
    for split in splits:
        try:
            dataset = build_cls_dataset(check.name, str(check.root), split, **kwargs)
        except (InputError, OSError, RuntimeError, ValueError, KeyError) as exc:
            check.fail(_problem(exc))
            return []
        check.found_at = Path(dataset.data_root)
        want = official_counts.get(split)
        check.counts[split] = (len(dataset), want)
        if want is not None and len(dataset) != want:
            check.differences.append(f'{split}: {len(dataset)} images, the official copy has {want}')
        labels.update(_labels(dataset))
        image_paths += [info['img_path'] for info in (dataset.get_data_info(i) for i in range(len(dataset)))
                        if 'img_path' in info]
    check.classes = (len(labels), spec.num_classes)
    if len(labels) != spec.num_classes:
        check.differences.append(f'{len(labels)} classes, the official copy has {spec.num_classes}')
    _check_official_classes(check)
    if check.name in ('cifar10', 'cifar100'):
        _check_cifar_md5(check)
    return image_paths


def _check_official_classes(check: DatasetCheck) -> None:
    """Image-folder datasets: name the official classes a copy lacks."""
    cls = reader_class(check.name)
    official = getattr(cls, 'OFFICIAL_CLASSES', ())
    if not official:
        return
    folder = check.found_at / cls.IMAGE_FOLDER
    present = {p.name for p in folder.iterdir() if p.is_dir()}
    missing = [c for c in official if c not in present]
    if missing:
        check.differences.append(f'{folder}: {len(missing)} of the {len(official)} classes missing '
                                 f'({", ".join(missing[:3])}{", ..." if len(missing) > 3 else ""})')


def _check_cifar_md5(check: DatasetCheck) -> None:
    """The md5 of each python batch against the list torchvision and mmpretrain carry."""
    cls = reader_class(check.name)
    folder = check.found_at / cls.base_folder
    files = [*cls.train_list, *cls.test_list, (cls.meta['filename'], cls.meta['md5'])]
    for filename, md5 in files:
        actual = file_digest(folder / filename, 'md5')
        if actual != md5:
            check.differences.append(f'{folder / filename}: md5 {actual}, the official release has {md5}')


# ------------------------------------------------------------------------------------------------ dense
def _count(check: DatasetCheck, split: str, found: int) -> None:
    want = dict(DATA_SOURCES[check.name].counts).get(split)
    check.counts[split] = (found, want)
    if want is not None and found != want:
        check.differences.append(f'{split}: {found} images, the official copy has {want}')


def _broken(check: DatasetCheck, problem: str) -> list[str]:
    check.fail(problem)
    return []


def _first_missing(paths: Iterable[Path]) -> tuple[Path | None, int]:
    missing = [p for p in paths if not p.exists()]
    return (missing[0] if missing else None), len(missing)


def _check_voc0712(check: DatasetCheck, official: bool) -> list[str]:
    root = check.found_at = locate('voc0712', check.root)
    images: list[str] = []
    for year, image_set in (('VOC2007', 'trainval'), ('VOC2007', 'test'), ('VOC2012', 'trainval')):
        listing = root / year / 'ImageSets' / 'Main' / f'{image_set}.txt'
        if not listing.is_file():
            return _broken(check, f'{listing}: missing')
        ids = [line.split()[0] for line in listing.read_text().splitlines() if line.strip()]
        jpgs = [root / year / 'JPEGImages' / f'{i}.jpg' for i in ids]
        first, n = _first_missing([*jpgs, *(root / year / 'Annotations' / f'{i}.xml' for i in ids)])
        if first is not None:
            return _broken(check, f'{first}: listed in {listing} but missing ({n} files missing)')
        _count(check, f'{year} {image_set}', len(ids))
        images += map(str, jpgs)
    return images


def _check_ade20k(check: DatasetCheck, official: bool) -> list[str]:
    root = check.found_at = locate('ade20k', check.root)
    images: list[str] = []
    for split in ('training', 'validation'):
        folders = root / 'images' / split, root / 'annotations' / split
        for folder in folders:
            if not folder.is_dir():
                return _broken(check, f'{folder}: missing')
        jpgs = sorted(folders[0].glob('*.jpg'))
        first, n = _first_missing(folders[1] / f'{p.stem}.png' for p in jpgs)
        if first is not None:
            return _broken(check, f'{first}: the label map of an image is missing ({n} missing)')
        _count(check, split, len(jpgs))
        images += map(str, jpgs)
    return images


def _check_nyuv2(check: DatasetCheck, official: bool) -> list[str]:
    from ..normal_clusters import cluster_file_name
    root = check.found_at = check.root
    images: list[str] = []
    for split in ('train', 'test'):
        folders = [root / kind / split for kind in ('images', 'normals', 'masks')]
        for folder in folders:
            if not folder.is_dir():
                return _broken(check, f'{folder}: missing')
        pngs = sorted(folders[0].glob('*.png'))
        normals = [next((folders[1] / f'{p.stem}{s}' for s in ('.png', '.npy') if (folders[1] / f'{p.stem}{s}')
                         .exists()), folders[1] / f'{p.stem}.png') for p in pngs]
        first, n = _first_missing([*normals, *(folders[2] / p.name for p in pngs)])
        if first is not None:
            return _broken(check, f'{first}: missing for an image of {folders[0]} ({n} missing)')
        _count(check, split, len(pngs))
        images += map(str, pngs)
        if not _check_nyuv2_depths(check, root, split, pngs):
            return []
    clusters = root / cluster_file_name(40)
    if not clusters.is_file():
        return _broken(check, f'{clusters}: missing (the 40 normal clusters: tools/prepare_nyuv2_normals.py '
                              'writes them, tools/compute_normal_clusters.py recomputes them)')
    return images


def _check_nyuv2_depths(check: DatasetCheck, root: Path, split: str, images: list[Path]) -> bool:
    """Count the depth maps of ``split`` (the depth task's, same folder); False when the copy is broken."""
    folder = root / 'depths' / split
    if not folder.is_dir():
        if not any('depths' in d for d in check.differences):
            check.differences.append(f'{root / "depths"}: missing: no depth maps for the depth task (prepare '
                                     'NYUv2 from nyu_depth_v2_labeled.mat, which holds them)')
        return True
    first, n = _first_missing(folder / p.name for p in images)
    if first is not None:
        _broken(check, f'{first}: the depth map of an image is missing ({n} missing)')
        return False
    want = dict(DATA_SOURCES[check.name].counts).get(split)
    check.counts[f'{split} depth'] = (len(images), None)  # the official count is the split's (one per image)
    if want is not None and len(images) != want:
        check.differences.append(f'{split} depth: {len(images)} maps, the official copy has {want}')
    return True


DENSE_CHECKS: dict[str, Callable[[DatasetCheck, bool], list[str]]] = {
    'voc0712': _check_voc0712, 'ade20k': _check_ade20k, 'nyuv2': _check_nyuv2}


# ----------------------------------------------------------------------------------------------- decode
def _decode_sample(check: DatasetCheck, paths: list[str], n: int) -> None:
    """Decode ``n`` images spread evenly over ``paths`` with the decoder the pipelines use."""
    from ..classification.loading import CheckedLoadImageFromFile, ImageDecodeError
    spec = CLS_DATASETS.get(check.name)
    backend = spec.image_decoder if spec else 'cv2'
    loader = CheckedLoadImageFromFile(imdecode_backend=backend)
    picked = sorted({int(i) for i in np.linspace(0, len(paths) - 1, min(n, len(paths)))})
    failed = []
    for i in picked:
        try:
            loader.transform({'img_path': paths[i]})
        except (ImageDecodeError, OSError) as exc:
            failed.append(str(exc).splitlines()[0])
            check.undecodable.append(paths[i])
    check.notes.append(f'decoded {len(picked) - len(failed)} of {len(picked)} sampled images ({backend})')
    for problem in failed:
        check.fail(problem)
