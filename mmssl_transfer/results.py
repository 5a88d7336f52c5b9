"""The one result record every task writes (det/seg/normals test JSON, every probe) and the suite reads.

A result is a flat JSON object; it is written atomically (temporary file + ``os.replace``) so a reader never
sees half a file, and read back with validation so a truncated or foreign JSON is an error naming the file.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mmssl_transfer.errors import InputError
from mmssl_transfer.fileio import atomic_open

RESULT_SCHEMA_VERSION = 1
TASKS = ('det', 'seg', 'normals', 'depth', 'linear', 'finetune', 'fewshot')


class ResultError(InputError):
    """A result file is missing, truncated or not a result record."""


@dataclass
class TransferResult:
    """One downstream number (with its siblings) for one backbone on one task.

    Attributes:
        task: One of :data:`TASKS`.
        dataset: Dataset name, e.g. ``'voc0712'``, ``'ade20k'``, ``'nyuv2'``, ``'aircraft'``.
        protocol: How the backbone was used, e.g. ``'frozen'``, ``'finetune'``, ``'5way-5shot'``; for the linear
            probe the solver protocol, ``'paper'`` or ``'converged'`` (``'linear'`` in records written before).
        method: Zoo method name of the backbone (``'byol'``), ``'custom'``, or ``'ambiguous: mocov1, pclv1'`` when
            the checkpoint's layout is shared by methods that only a file name tells apart.
        checkpoint_sha256: sha256 of the original checkpoint file ('' when randomly initialised).
        metrics: Every metric of the run, e.g. ``{'AP': 52.1, 'AP50': 81.0, 'AP75': 56.3}``.
        primary_metric: The key of ``metrics`` that tables show by default.
        ci: Optional 95% confidence half-widths per metric (few-shot).
        hparams: Chosen hyper-parameters (linear-probe C, finetune lr/wd, ...).
        extra: Anything else worth keeping (ECE, paths, warnings).
        config: The config file or tool that produced the result.
        pretraining_data: The images the backbone was pretrained on (``'imagenet-1k'``; ``'unknown'`` for a
            user's backbone that states none; ``''`` in records written before it was recorded).
        paper_protocol: Whether the run followed the paper's own code for its task (the runs a comparison with
            the published tables may diff): False for a named variant (e.g. the linear probe's
            ``protocol='converged'`` or a fixed C), None when the writer did not record it.
    """

    task: str
    dataset: str
    protocol: str
    method: str
    checkpoint_sha256: str
    metrics: dict[str, float]
    primary_metric: str
    ci: dict[str, float] = field(default_factory=dict)
    hparams: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    config: str = ''
    paper_protocol: bool | None = None
    pretraining_data: str = ''
    created: str = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat())
    schema_version: int = RESULT_SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ResultError(f'unknown task {self.task!r}; expected one of {TASKS}')
        if self.primary_metric not in self.metrics:
            raise ResultError(f'primary metric {self.primary_metric!r} is not among the metrics '
                              f'{sorted(self.metrics)}')
        self.metrics = {k: float(v) for k, v in self.metrics.items()}
        if self.paper_protocol is not None and not isinstance(self.paper_protocol, bool):
            raise ResultError(f'paper_protocol must be true, false or null, found {self.paper_protocol!r}')
        for name in ('ci', 'hparams', 'extra'):
            if not isinstance(getattr(self, name), dict):
                raise ResultError(f'{name} must be a JSON object, found {type(getattr(self, name)).__name__}')

    @property
    def value(self) -> float:
        """The primary metric's value."""
        return self.metrics[self.primary_metric]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_json_atomic(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically: readers see the old file or the whole new one."""
    with atomic_open(path, 'w') as f:
        json.dump(obj, f, indent=2, sort_keys=True, default=_json_default)
    return Path(path)


def _json_default(obj: Any) -> Any:
    if hasattr(obj, 'item'):  # numpy / torch scalars
        return obj.item()
    if hasattr(obj, 'tolist'):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f'{type(obj).__name__} is not JSON serialisable')


def write_result(path: str | os.PathLike, result: TransferResult) -> Path:
    """Atomically write one :class:`TransferResult` as JSON."""
    return write_json_atomic(path, result.to_dict())


def read_result(path: str | os.PathLike) -> TransferResult:
    """Read and validate a result JSON; any problem is a :class:`ResultError` naming the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding='utf-8'))
    except FileNotFoundError:
        raise ResultError(f'{path}: no such result file') from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultError(f'{path}: not a complete JSON result ({exc})') from None
    if not isinstance(data, dict):
        raise ResultError(f'{path}: expected a JSON object, found {type(data).__name__}')
    known = set(TransferResult.__dataclass_fields__)
    missing = {'task', 'dataset', 'protocol', 'method', 'checkpoint_sha256', 'metrics',
               'primary_metric'} - set(data)
    if missing:
        raise ResultError(f'{path}: result lacks {sorted(missing)}')
    try:
        return TransferResult(**{k: v for k, v in data.items() if k in known})
    except (ResultError, TypeError, ValueError) as exc:
        raise ResultError(f'{path}: {exc}') from None
