"""Fetch official checkpoints into a local cache with the project's downloader (:mod:`mmssl_transfer.download`).

The cache lives in ``$MMSSL_CACHE/checkpoints`` (default ``~/.cache/mmssl-transfer/checkpoints``, the same root
``tools/install.sh`` uses). Downloads are resumable (HTTP Range) and renamed into the cache only once complete
and (when a sha256 or the authors' md5 prefix is known) verified, so a finished file in the cache is always whole.
"""
from __future__ import annotations

from pathlib import Path

from mmssl_transfer.download import DownloadError, cache_root
from mmssl_transfer.download import download as _download

from .errors import CheckpointError
from .zoo import ALL_METHODS, find_method

__all__ = ['DownloadError', 'default_cache_dir', 'download', 'resolve_checkpoint']


def default_cache_dir() -> Path:
    """``$MMSSL_CACHE/checkpoints``, default ``~/.cache/mmssl-transfer/checkpoints``."""
    return cache_root() / 'checkpoints'


def download(url: str, cache_dir: str | Path | None = None, sha256: str | None = None,
             filename: str | None = None, progress: bool = True, timeout: float = 60.0,
             md5_prefix: str | None = None) -> Path:
    """:func:`mmssl_transfer.download.download` into ``cache_dir`` (default :func:`default_cache_dir`)."""
    return _download(url, cache_dir if cache_dir is not None else default_cache_dir(), sha256=sha256,
                     filename=filename, progress=progress, timeout=timeout, md5_prefix=md5_prefix)


def resolve_checkpoint(name_or_path: str | Path, cache_dir: str | Path | None = None,
                       progress: bool = True) -> Path:
    """Return a local checkpoint path for an existing file, an http(s) URL, or a zoo method name.

    A zoo name (any alias, e.g. ``'moco-v2'``) downloads the method's official file into the cache.

    Raises:
        CheckpointError: neither an existing file, a URL nor a zoo name; or a method whose official release
            must be converted from TensorFlow first (SimCLR).
    """
    path = Path(name_or_path).expanduser()
    if path.exists():
        return path
    text = str(name_or_path)
    if text.startswith(('http://', 'https://')):
        return download(text, cache_dir, progress=progress)
    spec = find_method(text)
    if spec is None:
        raise CheckpointError(f'{text}: no such file, and not a zoo method name (known: {", ".join(ALL_METHODS)})')
    if not spec.direct_download:
        raise CheckpointError(f'{spec.name}: the official release ({spec.urls[0]}) is a TensorFlow checkpoint; '
                              f'{spec.how_to_get}')
    return download(spec.urls[0], cache_dir, sha256=spec.sha256, filename=spec.filename, progress=progress,
                    md5_prefix=spec.md5_prefix)
