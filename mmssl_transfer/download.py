"""Fetch a file over HTTP into a folder: resumable (HTTP Range), checksummed, with a progress bar.

The one downloader of the project: checkpoints (:mod:`mmssl_transfer.checkpoints.download`) and dataset files
(the paper's Caltech101 split files, SUN397 ``Partitions.zip``, ADE20K's zip:
:mod:`mmssl_transfer.datasets.preparation`) go through it. A download is written to ``<name>.partial`` and
renamed only once complete and (when a checksum is known) verified, so an interrupted download resumes where it
stopped and a finished file is always whole.

Everything the project downloads or derives lives under one cache root, ``$MMSSL_CACHE`` (default
``~/.cache/mmssl-transfer``, the root ``tools/install.sh`` uses too): :func:`cache_root`.
"""
from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Mapping

from mmssl_transfer.errors import InputError
from mmssl_transfer.fileio import file_digest

_CHUNK = 1 << 20
#: Hosts whose share links need a query parameter to serve the file itself rather than a web page.
_DIRECT_LINK_QUERY: dict[str, str] = {'www.dropbox.com': 'dl=1'}


class DownloadError(InputError):
    """A download failed or its checksum did not match (the message names the URL and the file)."""


def cache_root() -> Path:
    """``$MMSSL_CACHE``, default ``~/.cache/mmssl-transfer``: the root of every cache of the project."""
    return Path(os.environ.get('MMSSL_CACHE', '~/.cache/mmssl-transfer')).expanduser()


def _direct_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    extra = _DIRECT_LINK_QUERY.get(parts.netloc)
    if extra and extra not in parts.query:
        query = f'{parts.query}&{extra}' if parts.query else extra
        return urllib.parse.urlunsplit(parts._replace(query=query))
    return url


def _progress(enabled: bool):
    from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    from .progress import PlainWhenPiped
    return PlainWhenPiped(TextColumn('{task.description}'), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
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


def _matches(path: Path, digests: Mapping[str, str]) -> bool:
    return all(file_digest(path, algorithm) == expected.lower() for algorithm, expected in digests.items())


def download(url: str, dest_dir: str | Path, sha256: str | None = None, filename: str | None = None,
             progress: bool = True, timeout: float = 60.0, md5_prefix: str | None = None,
             digests: Mapping[str, str] | None = None) -> Path:
    """Download ``url`` into ``dest_dir`` (resuming a ``.partial`` file) and return the final path.

    A file already at the destination is returned as it is when it matches the expected digests (or when no
    digest is given); one that does not match is fetched again.

    Args:
        url: http(s) URL of the file.
        dest_dir: Target folder (created).
        sha256: Expected hex sha256; on mismatch the downloaded file is deleted and :class:`DownloadError`
            names the URL, the file and both digests.
        filename: Name in ``dest_dir`` (defaults to the last component of the URL path).
        progress: Show a rich progress bar.
        timeout: Socket timeout in seconds.
        md5_prefix: Leading hex digits of the expected md5, as some authors publish them (MoCo); checked once
            the download is complete, before the file is renamed into place.
        digests: Further expected digests, ``{hashlib algorithm: hex}`` (e.g. the sha1 others publish).
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    expected = {k: v.lower() for k, v in (digests or {}).items()}
    if sha256 is not None:
        expected['sha256'] = sha256.lower()
    name = filename or Path(urllib.parse.urlsplit(url).path).name or hashlib.sha256(url.encode()).hexdigest()[:16]
    dst = dest_dir / name
    if dst.exists():
        if _matches(dst, expected):
            return dst
        dst.unlink()  # a stale or damaged copy: fetch again
    partial = dst.with_name(dst.name + '.partial')
    _fetch(url, partial, timeout, progress)
    for algorithm, want in expected.items():
        actual = file_digest(partial, algorithm)
        if actual != want:
            partial.unlink()
            raise DownloadError(f'{url}: {algorithm} mismatch for {dst}: expected {want}, got {actual}; '
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
