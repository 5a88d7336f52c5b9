"""Download a dataset into its folder: torchvision's downloaders (their URLs and md5 checks) for the datasets
torchvision knows, the project's resumable, checksummed downloader for the rest (the paper's Caltech101 split
files, SUN397's ``Partitions.zip``, ADE20K's zip).

Nothing already in place is fetched again: torchvision is not called when the folder already holds the layout
(``caltech101 --download`` on a folder with the images only fetches the split files), and our downloader keeps a
finished, checksum-verified file. Archives it fetches are kept in ``<dataset cache>/downloads`` (a rerun or an
interrupted download resumes from there) and unpacked with :func:`~.archives.unpack_archives`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from mmssl_transfer.download import DownloadError, download
from mmssl_transfer.errors import InputError

from ..catalog import CLS_DATASETS, DATA_SOURCES, RemoteFile, dataset_cache_dir
from ..classification.caltech_splits import paper_split_dir
from .archives import unpack_archives
from .layouts import download_root, locate, reader_class

#: Where the files a dataset keeps in the cache go (``RemoteFile.into == 'cache'``).
CACHE_FOLDERS: dict[str, Callable[[], Path]] = {'caltech101': paper_split_dir}


class NotDownloadable(InputError):
    """A dataset no script can download; the message says where to get it and how to unpack it."""


def downloads_dir() -> Path:
    """``<dataset cache>/downloads``: archives fetched by the project's downloader."""
    return dataset_cache_dir() / 'downloads'


def layout_present(name: str, root: str | Path) -> bool:
    """``root`` (or its nested download folder) holds every path the readers require."""
    folder = locate(name, root)
    cls = reader_class(name)
    if cls is None:
        from .layouts import layout_entries
        return all((folder / e).exists() for e in layout_entries(name))
    spec = CLS_DATASETS[name]
    try:
        return all((folder / p).exists() for split in spec.splits for p in cls.required_paths(
            folder, cls.parent_split(split)))
    except ValueError:
        return False


def fetch_file(name: str, remote: RemoteFile, progress: bool = True) -> Path:
    """One file of the catalog through the project's downloader, checked against its checksums."""
    folder = CACHE_FOLDERS[name]() if remote.into == 'cache' else downloads_dir()
    return download(remote.url, folder, sha256=remote.sha256, digests=dict(remote.digests), progress=progress)


def download_dataset(name: str, root: str | Path, progress: bool = True) -> list[str]:
    """Fetch what ``name`` needs into ``root``; return notes of what was done.

    Raises:
        NotDownloadable: no script can fetch it (the message gives the manual steps).
        DownloadError: a download failed or did not match its checksum.
    """
    source = DATA_SOURCES[name]
    root = Path(root)
    if not source.downloadable:
        raise NotDownloadable(f'{name}: no public source a script can download from.\n' + '\n'.join(
            f'  {step}' for step in source.manual))
    notes: list[str] = []
    if source.torchvision:
        if layout_present(name, root):
            notes.append(f'{locate(name, root)}: the files are there; torchvision not called')
        else:
            import torchvision.datasets
            base, target = download_root(name, root)
            base.mkdir(parents=True, exist_ok=True)
            for class_name, kwargs in source.torchvision:
                try:
                    getattr(torchvision.datasets, class_name)(root=str(base), download=True, **dict(kwargs))
                except (RuntimeError, OSError, ValueError) as exc:  # torchvision's md5 / download errors
                    raise DownloadError(f"{name}: torchvision's {class_name} download into {base} failed ({exc}); "
                                        'run the same command again to retry') from None
                notes.append(f'torchvision {class_name}({", ".join(f"{k}={v!r}" for k, v in kwargs)}) -> {target}')
    for remote in source.files:
        path = fetch_file(name, remote, progress)
        if remote.into == 'cache':
            notes.append(f'{remote.url} -> {path} (checked)')
        else:
            notes.append(f'{remote.url} -> {path} (checked), unpacked into {root}')
            notes += unpack_archives(name, root, [path], progress)
    return notes
