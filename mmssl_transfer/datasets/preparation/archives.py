"""Unpack the archives of a dataset into its folder, fixing the known variants of the downloads people have.

``unpack_archives(name, root, files)`` extracts every archive (zip, tar, tar.gz, tgz) and copies every other
file (``.mat``, ``.csv``) into a staging folder beside ``root``, applies the dataset's fixes
(:data:`VARIANT_FIXES`), finds the folder of the staged tree that holds the dataset's layout and moves its
content into ``root`` (merging with what is there: a second call adds the next archive). Archive members that
would land outside the staging folder are refused (tar's ``data`` filter, zipfile's name sanitising).

The known variants:

* Caltech101: ``caltech-101.zip`` holds ``101_ObjectCategories.tar.gz``, which is unpacked too;
* ChestX-ray14: the Kaggle mirror's ``images_0NN/images/`` folders are merged into ``images/``;
* Stanford Cars: Kaggle's ``cars_train/cars_train`` (and ``cars_test/cars_test``) are flattened; a
  ``cars_annos.mat`` of the car_ims release next to the devkit release's folders is set aside (it numbers the
  images differently); torchvision's ``cars_test_annos_withlabels.mat`` at the root is read as it is;
* EuroSAT: Zenodo's ``EuroSAT_RGB/`` becomes ``2750/``;
* SUN397: the text files of ``Partitions.zip`` go to ``Partitions/``;
* NYUv2: the FAIR metadata zip and the labelled ``.mat`` are converted by ``prepare_nyuv2_normals``'s converter.
"""
from __future__ import annotations

import os
import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import Callable, Iterable

from rich.progress import BarColumn, MofNCompleteColumn, TextColumn

from mmssl_transfer.errors import InputError
from mmssl_transfer.progress import PlainWhenPiped

from .layouts import layout_entries

ARCHIVE_SUFFIXES = ('.zip', '.tar', '.tar.gz', '.tgz', '.tar.bz2', '.tar.xz')


class ArchiveError(InputError):
    """An archive cannot be read or unpacked (the message names it)."""


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def _progress(enabled: bool) -> PlainWhenPiped:
    return PlainWhenPiped(TextColumn('{task.description}'), BarColumn(), MofNCompleteColumn(), transient=True,
                          disable=not enabled)


def extract(archive: Path, dest: Path, progress: bool = True) -> None:
    """Unpack one archive into ``dest``; members that would escape ``dest`` are refused."""
    try:
        if archive.name.lower().endswith('.zip'):
            with zipfile.ZipFile(archive) as zf, _progress(progress) as bar:
                members = zf.infolist()
                task = bar.add_task(f'unpacking {archive.name}', total=len(members))
                for member in members:
                    zf.extract(member, dest)
                    bar.advance(task)
        else:
            with tarfile.open(archive) as tf, _progress(progress) as bar:
                members = tf.getmembers()
                task = bar.add_task(f'unpacking {archive.name}', total=len(members))
                for member in members:
                    tf.extract(member, dest, filter='data')
                    bar.advance(task)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError) and not archive.exists():
            raise ArchiveError(f'{archive}: no such file') from None
        raise ArchiveError(f'{archive}: cannot unpack ({type(exc).__name__}: {exc}); a truncated download? '
                           'download it again') from None


def _merge(src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst``; folders are merged, files replace files of the same name."""
    if src.is_dir() and dst.is_dir():
        for child in src.iterdir():
            _merge(child, dst / child.name)
        src.rmdir()
        return
    if dst.is_dir() and not dst.is_symlink():
        shutil.rmtree(dst)
    elif dst.exists() or dst.is_symlink():
        dst.unlink()
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(src), str(dst))


def find_layout(name: str, staged: Path, max_depth: int = 4) -> Path:
    """The folder of ``staged`` (itself or a sub-folder up to ``max_depth`` deep) holding the most of the
    layout's top-level entries, the shallowest on a tie; ``staged`` when none holds any."""
    entries = layout_entries(name)
    best, best_score = staged, 0
    level = [staged]
    for _ in range(max_depth + 1):
        for folder in level:
            score = sum((folder / e).exists() for e in entries)
            if score > best_score:
                best, best_score = folder, score
        level = [c for f in level for c in sorted(f.iterdir()) if c.is_dir() and not c.is_symlink()]
    return best


# ---------------------------------------------------------------------------------------- variant fixes
def _fix_caltech101(staged: Path) -> list[str]:
    notes = []
    for inner in sorted(staged.rglob('101_ObjectCategories.tar.gz')):
        extract(inner, inner.parent)
        inner.unlink()
        notes.append(f'unpacked the inner {inner.name}')
    return notes


def _fix_chestx(staged: Path) -> list[str]:
    parts = sorted(p for p in staged.rglob('images') if p.is_dir() and p.parent.name.startswith('images_'))
    if not parts:
        return []
    target = parts[0].parent.parent / 'images'
    target.mkdir(exist_ok=True)
    for part in parts:
        for image in part.iterdir():
            os.replace(image, target / image.name)
        shutil.rmtree(part.parent)
    return [f"merged Kaggle's {len(parts)} images_0NN/images/ folders into images/"]


def _fix_cars(staged: Path) -> list[str]:
    notes = []
    for name in ('cars_train', 'cars_test'):
        for outer in sorted(staged.rglob(name)):
            inner = outer / name
            if outer.is_dir() and inner.is_dir():
                for image in inner.iterdir():
                    os.replace(image, outer / image.name)
                inner.rmdir()
                notes.append(f'flattened {name}/{name}')
    for annos in sorted(staged.rglob('cars_annos.mat')):
        if (annos.parent / 'cars_train').exists() or (annos.parent / 'cars_test').exists():
            annos.rename(annos.with_name('cars_annos.mat.unused'))
            notes.append('set cars_annos.mat aside (cars_annos.mat.unused): it numbers the car_ims/ release, not '
                         'cars_train/ and cars_test/, which devkit/ labels')
    return notes


def _fix_eurosat(staged: Path) -> list[str]:
    for folder in sorted(staged.rglob('EuroSAT_RGB')):
        if folder.is_dir() and not (folder.parent / '2750').exists():
            folder.rename(folder.parent / '2750')
            return ["renamed Zenodo's EuroSAT_RGB/ to 2750/"]
    return []


def _fix_sun397(staged: Path) -> list[str]:
    lists = sorted(p for p in staged.rglob('*.txt') if p.name.startswith(('Training_', 'Testing_'))
                   and p.parent.name != 'Partitions')
    if not lists:
        return []
    beside = lists[0].parent  # the paper's layout keeps them in the image folder SUN397/, next to a/, b/, ...
    target = (beside.parent if beside.name == 'SUN397' else beside) / 'Partitions'
    target.mkdir(exist_ok=True)
    for path in lists:
        os.replace(path, target / path.name)
    return [f'moved {len(lists)} partition files to Partitions/']


#: Dataset -> fix applied to the staged tree (returns what it did).
VARIANT_FIXES: dict[str, Callable[[Path], list[str]]] = {
    'caltech101': _fix_caltech101, 'chestx': _fix_chestx, 'cars': _fix_cars, 'eurosat': _fix_eurosat,
    'sun397': _fix_sun397,
}


# -------------------------------------------------------------------------------------------------- unpack
def _stage(files: Iterable[Path], staged: Path, progress: bool) -> None:
    for path in files:
        if not path.exists():
            raise ArchiveError(f'{path}: no such file')
        if path.is_dir():
            shutil.copytree(path, staged / path.name, dirs_exist_ok=True)
        elif is_archive(path):
            extract(path, staged, progress)
        else:
            shutil.copy2(path, staged / path.name)


def unpack_archives(name: str, root: str | Path, files: Iterable[str | Path], progress: bool = True) -> list[str]:
    """Unpack ``files`` (archives, plain files or folders) into ``root`` as ``name``'s layout; return notes of what
    was done. Archives are read, never changed or removed."""
    root = Path(root)
    files = [Path(f) for f in files]
    if name == 'nyuv2':
        return _unpack_nyuv2(root, files, progress)
    root.parent.mkdir(parents=True, exist_ok=True)
    staged = root.parent / f'.{root.name}.unpacking'
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir()
    try:
        _stage(files, staged, progress)
        notes = VARIANT_FIXES.get(name, lambda _: [])(staged)
        found = find_layout(name, staged)
        root.mkdir(exist_ok=True)
        for child in sorted(found.iterdir()):
            _merge(child, root / child.name)
        if found != staged:
            notes.append(f'took the layout from {found.relative_to(staged)}/ of the archive')
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return notes


def _unpack_nyuv2(root: Path, files: list[Path], progress: bool) -> list[str]:
    """The FAIR metadata (zip or folder) + the images (``nyu_depth_v2_labeled.mat`` or a folder) -> the layout."""
    from ..nyuv2_release import NORMALS_FILE, convert_release
    metadata = [f for f in files if is_archive(f) or (f.is_dir() and (f / NORMALS_FILE).exists())]
    images = [f for f in files if f not in metadata]
    if len(metadata) != 1 or len(images) != 1:
        given = ', '.join(map(str, files))
        raise ArchiveError('nyuv2: give the metadata (nyuv2_surfacenormal_metadata.zip or its folder) and the '
                           f'images (nyu_depth_v2_labeled.mat or a folder of RGB images); got: {given}')
    staged = root.parent / f'.{root.name}.unpacking'
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    try:
        if is_archive(metadata[0]):
            extract(metadata[0], staged, progress)
            found = next((p.parent for p in staged.rglob(NORMALS_FILE)), None)
            if found is None:
                raise ArchiveError(f'{metadata[0]}: no {NORMALS_FILE} inside: not the NYUv2 surface-normal release')
        else:
            found = metadata[0]
        notes: list[str] = []
        convert_release(found, images[0], root, log=notes.append)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return notes
