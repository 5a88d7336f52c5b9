"""Which backbone is this? A checkpoint argument resolved once, at the entry of a tool, into its identity.

    identity = identify('byol')                      # a zoo name (downloaded on first use), a file or a URL
    identity.path, identity.sha256, identity.method  # what the feature cache and the result record key on
    identity.normalization                           # the input mean/std name of the method
    identity.conversion                              # the strict state dict + report (loaded once): torchvision
                                                     # names, or mmpretrain ViT names for a ViT row

Everything that needs to know the backbone takes the identity instead of a path string: the feature cache keys
on ``identity.sha256``, the extractor (SSLResNet or, for a ViT row, SSLViT) loads ``identity.conversion`` and
the record reads ``method`` and ``sha256``. So a checkpoint is hashed at most once and loaded and converted at
most once per process, and only when something needs its tensors or a detection: with an :class:`IdentityMemo`
on disk (remembered by path, size and modification time) a run whose features are all cached reads neither.
Config runs (mmengine Runner) resolve through the same function in ``SSLResNet.convert_checkpoint`` and
``SSLViT.convert_checkpoint`` and carry the report on the model.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmssl_transfer.fileio import atomic_open, file_sha256

from .convert import Conversion, ConversionReport, convert, save_converted
from .download import resolve_checkpoint
from .errors import CheckpointError
from .safe_load import load_checkpoint
from .zoo import ambiguous_candidates, find_method, get_method

#: The method of a random initialisation (no checkpoint) in records.
SCRATCH = 'scratch'


def requested_method(checkpoint: str | os.PathLike | None, method: str = 'auto') -> str:
    """The zoo name asked for: ``method`` itself (canonical spelling), the method a zoo-name argument names
    (``checkpoint='moco-v2'`` -> ``'mocov2'``), or ``'auto'`` (detect from the file)."""
    if method != 'auto':
        spec = find_method(method)
        if spec is None:
            where = f'{checkpoint}: ' if checkpoint is not None else ''
            raise CheckpointError(f'{where}unknown method {method!r} (use auto or one of the zoo names)')
        return spec.name
    if checkpoint is None:
        return 'auto'
    text = str(checkpoint)
    if text.startswith(('http://', 'https://')) or Path(text).expanduser().exists():
        return 'auto'
    spec = find_method(text)
    return spec.name if spec else 'auto'


@dataclass(frozen=True)
class Detected:
    """What a conversion found out about a file, remembered so a later run need not convert to know it."""

    method: str
    candidates: tuple[str, ...]
    normalization: str
    base_channels: int


class IdentityMemo:
    """sha256 and detections of checkpoint files by (path, size, mtime), optionally kept in a JSON file.

    Args:
        path: JSON file to read and update (``None``: this process only).
    """

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.entries: dict[str, Any] = {}
        if self.path is not None and self.path.is_file():
            try:
                self.entries = json.loads(self.path.read_text())
            except (json.JSONDecodeError, OSError):
                self.entries = {}

    @staticmethod
    def _stamp(file: Path) -> list[int]:
        stat = file.stat()
        return [stat.st_size, stat.st_mtime_ns]

    def _entry(self, file: Path) -> dict[str, Any] | None:
        entry = self.entries.get(str(file.resolve()))
        return entry if entry and entry.get('stamp') == self._stamp(file) else None

    def sha256(self, file: Path) -> str | None:
        """The remembered sha256 of ``file`` (None when unknown or the file changed)."""
        entry = self._entry(file)
        return entry['sha256'] if entry else None

    def detected(self, file: Path, method: str) -> Detected | None:
        """What converting ``file`` with ``method`` found, if remembered."""
        found = (self._entry(file) or {}).get('detected', {}).get(method)
        return Detected(found['method'], tuple(found['candidates']), found['normalization'],
                        int(found['base_channels'])) if found else None

    def remember(self, file: Path, sha256: str, method: str | None = None, detected: Detected | None = None) -> None:
        """Store ``file``'s sha256 (and the detection under the requested ``method``); write the JSON file."""
        entry = self._entry(file) or {'stamp': self._stamp(file), 'sha256': sha256, 'detected': {}}
        if detected is not None and method is not None:
            entry.setdefault('detected', {})[method] = dict(
                method=detected.method, candidates=list(detected.candidates), normalization=detected.normalization,
                base_channels=detected.base_channels)
        self.entries[str(file.resolve())] = entry
        if self.path is not None:
            with atomic_open(self.path, 'w') as f:
                json.dump(self.entries, f, indent=1, sort_keys=True)

    def get(self, file: str | os.PathLike) -> str:
        """sha256 of ``file``, hashed only when not remembered."""
        file = Path(file)
        digest = self.sha256(file)
        if digest is None:
            digest = file_sha256(file)
            self.remember(file, digest)
        return digest


class BackboneIdentity:
    """A resolved checkpoint: where it is, what it is, and (on demand, once) its converted tensors.

    Build it with :func:`identify`. Every property is computed at most once; ``method``, ``candidates`` and
    ``normalization`` need a conversion only for ``method='auto'`` files the memo has not seen.

    Attributes:
        argument: The checkpoint argument as given (a path, URL or zoo name), None for a random initialisation.
        path: The local file (downloaded for a zoo name or URL), None for a random initialisation.
        requested: The method asked for (:func:`requested_method`): a zoo name or ``'auto'``.
    """

    def __init__(self, argument: str | None, path: Path | None, requested: str, memo: IdentityMemo) -> None:
        self.argument = argument
        self.path = path
        self.requested = requested
        self._memo = memo
        self._sha256: str | None = None
        self._detected: Detected | None = None
        self._conversion: Conversion | None = None

    def __repr__(self) -> str:
        return f'BackboneIdentity({self.argument!r}, requested={self.requested!r})'

    @property
    def is_scratch(self) -> bool:
        """Whether this is a random initialisation (no checkpoint)."""
        return self.path is None

    @property
    def sha256(self) -> str:
        """sha256 of the checkpoint file ('' for a random initialisation); hashed once, or remembered."""
        if self.path is None:
            return ''
        if self._sha256 is None:
            self._sha256 = self._memo.sha256(self.path)
        if self._sha256 is None:
            if self._conversion is not None:
                self._sha256 = self._conversion.report.sha256 or ''
            else:
                self._sha256 = file_sha256(self.path)
            self._memo.remember(self.path, self._sha256)
        return self._sha256

    @property
    def conversion(self) -> Conversion:
        """The strict torchvision state dict and its report; the file is loaded and converted on first access."""
        if self.path is None:
            raise ValueError('a random initialisation has no checkpoint to convert')
        if self._conversion is None:
            known = self._sha256 or self._memo.sha256(self.path)
            conversion = convert(load_checkpoint(self.path, sha256=known), method=self.requested)
            report = conversion.report
            self._conversion, self._sha256 = conversion, report.sha256 or ''
            self._detected = Detected(report.method, ambiguous_candidates(report.method) or (report.method,),
                                      report.normalization, report.base_channels)
            self._memo.remember(self.path, self._sha256, self.requested, self._detected)
        return self._conversion

    @property
    def report(self) -> ConversionReport | None:
        """The conversion report (converts on first access), None for a random initialisation."""
        return None if self.path is None else self.conversion.report

    def _detection(self) -> Detected:
        if self._detected is None and self.path is not None:
            self._detected = self._memo.detected(self.path, self.requested)
        if self._detected is None:
            if self.requested != 'auto':  # a given method needs no detection
                spec = get_method(self.requested)
                return Detected(spec.name, (spec.name,), spec.normalization, 0)
            self.conversion  # noqa: B018 - detection is part of the conversion
        return self._detected

    @property
    def method(self) -> str:
        """The zoo method (``'ambiguous: a, b'`` when only a file name could tell), or 'scratch'."""
        return SCRATCH if self.path is None else self._detection().method

    @property
    def candidates(self) -> tuple[str, ...]:
        """The methods the file could be: one, or the candidates of an ambiguous layout."""
        return () if self.path is None else self._detection().candidates

    @property
    def normalization(self) -> str:
        """Name of the method's input normalisation (:data:`~.zoo.NORMALIZATIONS`); ImageNet for scratch."""
        return 'imagenet' if self.path is None else self._detection().normalization

    @property
    def tag(self) -> str:
        """A short name for file names: the checkpoint file's stem, or 'random'."""
        return 'random' if self.path is None else self.path.name.split('.')[0]


def identify(checkpoint: str | os.PathLike | BackboneIdentity | None, method: str = 'auto', *,
             memo: IdentityMemo | str | os.PathLike | None = None, progress: bool = True) -> BackboneIdentity:
    """Resolve a checkpoint argument once: a file, an http(s) URL or a zoo name (downloaded into the cache).

    Nothing is read yet: the file is hashed, loaded and converted on first use of the identity's properties.

    Args:
        checkpoint: Path, URL or zoo name; None for a random initialisation; an identity is returned as is.
        method: Zoo method of the checkpoint, or ``'auto'`` (a zoo-name argument is that method; otherwise the
            file's layout says).
        memo: An :class:`IdentityMemo` or its JSON file, which remembers hashes and detections across runs.
        progress: Show a download progress bar.

    Raises:
        CheckpointError: no such file, not a zoo name, an unknown method, or a release that must be converted
            by hand first.
    """
    if isinstance(checkpoint, BackboneIdentity):
        return checkpoint
    memo = memo if isinstance(memo, IdentityMemo) else IdentityMemo(memo)
    if checkpoint is None:
        return BackboneIdentity(None, None, requested_method(None, method), memo)
    requested = requested_method(checkpoint, method)
    path = resolve_checkpoint(checkpoint, progress=progress)
    return BackboneIdentity(str(checkpoint), Path(path), requested, memo)


def convert_file(src: str | os.PathLike, dst: str | os.PathLike, method: str = 'auto',
                 fmt: str | None = None) -> Conversion:
    """Convert ``src`` (a file, URL or zoo name, resolved by :func:`identify`) and write ``dst``
    (:func:`~.convert.save_converted`)."""
    conversion = identify(src, method).conversion
    save_converted(conversion, dst, fmt=fmt)
    return conversion
