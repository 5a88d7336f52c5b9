"""Fetch official checkpoints into a local cache: resumable (HTTP Range), checksummed, with a progress bar.

The cache lives in ``$MMSSL_CACHE/checkpoints`` (default ``~/.cache/mmssl-transfer/checkpoints``, the same root
``tools/install.sh`` uses). A download is written to ``<name>.partial`` and renamed only once complete and (when
a sha256 or the authors' md5 prefix is known) verified, so an interrupted download resumes where it stopped and a
finished file in the cache is always whole.
"""
from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from mmssl_transfer.fileio import file_digest, file_sha256

from .errors import CheckpointError
from .zoo import ZOO, find_method

_CHUNK = 1 << 20
#: Hosts whose share links need a query parameter to serve the file itself rather than a web page.
_DIRECT_LINK_QUERY: dict[str, str] = {'www.dropbox.com': 'dl=1'}


class DownloadError(CheckpointError):
    """A download failed or its checksum did not match."""


def default_cache_dir() -> Path:
    """``$MMSSL_CACHE/checkpoints``, default ``~/.cache/mmssl-transfer/checkpoints``."""
    return Path(os.environ.get('MMSSL_CACHE', '~/.cache/mmssl-transfer')).expanduser() / 'checkpoints'


def _direct_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    extra = _DIRECT_LINK_QUERY.get(parts.netloc)
    if extra and extra not in parts.query:
        query = f'{parts.query}&{extra}' if parts.query else extra
        return urllib.parse.urlunsplit(parts._replace(query=query))
    return url


def _progress(enabled: bool):
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
    return Progress(TextColumn('{task.description}'), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                    TimeRemainingColumn(), transient=True, disable=not enabled)


def _fetch(url: str, partial: Path, timeout: float, progress: bool) -> None:
    """Download ``url`` into ``partial``, resuming from its current size when the server honours Range."""
    offset = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(_direct_url(url), headers={'User-Agent': 'mmssl-transfer'})
    if offset:
        request.add_header('Range', f'bytes={offset}-')
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:  # nothing left to fetch: the partial file is already complete
            return
        raise DownloadError(f'{url}: download failed (HTTP {err.code} {err.reason})') from None
    except (urllib.error.URLError, OSError) as err:
        raise DownloadError(f'{url}: download failed ({getattr(err, "reason", err)}); '
                            f'the partial file {partial} is kept for resuming') from None
    with response:
        resumed = offset and response.status == 206
        mode = 'ab' if resumed else 'wb'  # a 200 answer to a Range request restarts from the beginning
        start = offset if resumed else 0
        length = response.headers.get('Content-Length')
        total = start + int(length) if length is not None else None
        with open(partial, mode) as out, _progress(progress) as bar:
            task = bar.add_task(partial.name.removesuffix('.partial'), total=total, completed=start)
            try:
                for block in iter(lambda: response.read(_CHUNK), b''):
                    out.write(block)
                    bar.advance(task, len(block))
            except OSError as err:
                raise DownloadError(f'{url}: connection lost ({err}); the partial file {partial} is kept for '
                                    'resuming') from None
    if total is not None and partial.stat().st_size < total:
        raise DownloadError(f'{url}: incomplete download ({partial.stat().st_size} of {total} bytes); the '
                            f'partial file {partial} is kept for resuming')


def download(url: str, cache_dir: str | Path | None = None, sha256: str | None = None,
             filename: str | None = None, progress: bool = True, timeout: float = 60.0,
             md5_prefix: str | None = None) -> Path:
    """Download ``url`` into the cache (resuming a ``.partial`` file) and return the final path.

    Args:
        url: http(s) URL of the file.
        cache_dir: Target folder. Defaults to :func:`default_cache_dir`.
        sha256: Expected hex digest; on mismatch the downloaded file is deleted and :class:`DownloadError`
            names the URL, the file and both digests.
        filename: Name in the cache (defaults to the last component of the URL path).
        md5_prefix: Leading hex digits of the expected md5, as some authors publish them (MoCo); checked once
            the download is complete, before the file enters the cache; on mismatch the file is deleted and
            :class:`DownloadError` names the URL and both values.
        progress: Show a rich progress bar.
        timeout: Socket timeout in seconds.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    name = filename or Path(urllib.parse.urlsplit(url).path).name or hashlib.sha256(url.encode()).hexdigest()[:16]
    dst = cache_dir / name
    if dst.exists():
        if sha256 is None or file_sha256(dst) == sha256.lower():
            return dst
        dst.unlink()  # a stale or damaged cache entry: fetch again
    partial = dst.with_name(dst.name + '.partial')
    _fetch(url, partial, timeout, progress)
    if sha256 is not None:
        actual = file_sha256(partial)
        if actual != sha256.lower():
            partial.unlink()
            raise DownloadError(f'{url}: sha256 mismatch for {dst}: expected {sha256.lower()}, got {actual}; '
                                'the downloaded file was removed')
    if md5_prefix is not None:
        actual = file_digest(partial, 'md5')
        if not actual.startswith(md5_prefix.lower()):
            partial.unlink()
            raise DownloadError(f'{url}: md5 mismatch for {dst}: the authors publish md5 {md5_prefix.lower()}..., '
                                f'the downloaded file has {actual}; the downloaded file was removed (a damaged '
                                'download or a changed release: download again, or pass the file you trust)')
    os.replace(partial, dst)
    return dst


def zoo_method_named(name_or_path: str | Path) -> str | None:
    """The zoo method a checkpoint argument names (``'moco-v2'`` -> ``'mocov2'``); None for a file or URL."""
    text = str(name_or_path)
    if text.startswith(('http://', 'https://')) or Path(text).expanduser().exists():
        return None
    spec = find_method(text)
    return spec.name if spec else None


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
        raise CheckpointError(f'{text}: no such file, and not a zoo method name (known: {", ".join(ZOO)})')
    if not spec.direct_download:
        raise CheckpointError(f'{spec.name}: the official release ({spec.urls[0]}) is a TensorFlow checkpoint; '
                              f'{spec.how_to_get}')
    return download(spec.urls[0], cache_dir, sha256=spec.sha256, filename=spec.filename, progress=progress,
                    md5_prefix=spec.md5_prefix)
