"""The one result record every task writes (det/seg/normals test JSON, every probe) and the suite reads, and the
one way a run becomes one.

A result is a flat JSON object; it is written atomically (temporary file + ``os.replace``) so a reader never
sees half a file, and read back with validation so a truncated or foreign JSON is an error naming the file.

:func:`make_record` builds every record from (task, backbone, settings, metrics): it names the run's *variant*
(its departures from the paper's settings of the task, :data:`mmssl_transfer.tasks.TASKS`, joined with ``+``, or
``'paper'``), records it in ``hparams['variant']`` and sets ``paper_protocol``. "Variant" means only that: a named
departure from the paper's protocol. :func:`published_record` turns a published number into a record. No other
module constructs a :class:`TransferResult` (a test checks).

The suite's store layout lives here too (``<out>/results/<cell>.json``, ``failed/``, ``suite.json``), so the suite
writes and the analysis reads the same paths.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Sequence

from mmssl_transfer.checkpoints.zoo import pretraining_data_of
from mmssl_transfer.errors import InputError
from mmssl_transfer.fileio import atomic_open
from mmssl_transfer.tasks import PAPER_VARIANT
from mmssl_transfer.tasks import TASKS as TASK_TABLE

RESULT_SCHEMA_VERSION = 1
#: The task names a record may carry: the rows of the table of tasks.
TASKS = tuple(TASK_TABLE)


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


# -- variants: named departures from the paper's protocol --------------------------------------------------------
def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ','.join(_text(v) for v in value)
    if isinstance(value, float):
        return f'{value:g}'
    return str(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def deviations(settings: Mapping[str, Any], paper: Mapping[str, Any]) -> list[str]:
    """``key=value`` for each key of ``paper`` whose value in ``settings`` differs, in ``paper``'s order."""
    return [f'{key}={_text(settings[key])}' for key, value in paper.items() if not _same(settings[key], value)]


def variant_name(found: Sequence[str], default: str = PAPER_VARIANT) -> str:
    """The variant of a run with these deviations: ``default`` (the task's default variant, ``'paper'``) when
    there are none."""
    return '+'.join(found) or default


def result_variant(test_variant: str | None, train_variant: str | None,
                   default: str = PAPER_VARIANT) -> str | None:
    """The variant a config run's test result reports: the variants of training and testing other than the task's
    default (``'paper'``, or :attr:`~mmssl_transfer.tasks.TaskSpec.default_variant`), joined.

    A checkpoint trained with a variant stays that variant when tested with the default test, and the default
    training tested with a test-time variant is that variant. The ``cfg:`` components (config keys a run changed
    from the paper's protocol, :mod:`mmssl_transfer.apis.protocol_diff`) of both are merged key by key (the test
    run's value wins). None when the test config states no variant.
    """
    if test_variant is None:
        return None
    names: list[str] = []
    changes: dict[str, str] = {}
    for variant in (train_variant, test_variant):
        more, changed = split_variant(variant or '', default)
        names += [n for n in more if n not in names]
        changes.update(changed)
    return variant_label(names, changes, default)


#: Prefix of the variant component listing the config keys a run changed from its protocol.
CHANGES_PREFIX = 'cfg:'


def variant_label(names: Sequence[str], changes: Mapping[str, Any], default: str = PAPER_VARIANT) -> str:
    """A run's variant: named variants and one ``cfg:key=value,...`` component (sorted keys), joined with ``+``;
    ``default`` (the task's default variant) when there is neither."""
    parts = [n for n in names if n and n not in (PAPER_VARIANT, default)]
    if changes:
        parts.append(CHANGES_PREFIX + ','.join(f'{k}={_change_text(v)}' for k, v in sorted(changes.items())))
    return '+'.join(parts) or default


def parse_changes(component: str) -> dict[str, str]:
    """The ``key -> value`` text of a ``cfg:`` component (inverse of :func:`variant_label` for one component)."""
    body = component[len(CHANGES_PREFIX):] if component.startswith(CHANGES_PREFIX) else component
    items = re.split(r',(?=[A-Za-z_][\w.]*=)', body) if body else []
    return dict(item.split('=', 1) for item in items if '=' in item)


def split_variant(label: str, default: str = PAPER_VARIANT) -> tuple[list[str], dict[str, str]]:
    """A variant label's named variants (without ``'paper'`` and ``default``) and its ``cfg:`` changes."""
    names: list[str] = []
    changes: dict[str, str] = {}
    for part in re.split(r'\+(?=[A-Za-z_]|' + re.escape(CHANGES_PREFIX) + ')', label or ''):
        if part.startswith(CHANGES_PREFIX):
            changes.update(parse_changes(part))
        elif part and part not in (PAPER_VARIANT, default) and part not in names:
            names.append(part)
    return names, changes


def _change_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(',', ':'), default=str)


def default_variant(task: str) -> str:
    """The variant a run of ``task`` at its row's defaults records (``'paper'`` for an unknown task)."""
    spec = TASK_TABLE.get(task)
    return spec.default_variant if spec is not None else PAPER_VARIANT


# -- building records ----------------------------------------------------------------------------------------------
class RecordedBackbone(NamedTuple):
    """What a record keeps of the backbone: its zoo method (or ``'custom'``, ``'scratch'``...) and file sha256.

    :func:`make_record` takes any object with these two attributes (a resolved checkpoint identity included).
    """

    method: str
    sha256: str


def plain_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Numeric metrics with their evaluator prefix dropped (``'coco/bbox_mAP'`` -> ``'bbox_mAP'``)."""
    return {name.rsplit('/', 1)[-1]: float(value) for name, value in metrics.items()
            if isinstance(value, (int, float)) or hasattr(value, 'item')}


def make_record(task: str, backbone: Any, *, dataset: str, protocol: str, metrics: Mapping[str, float],
                primary_metric: str | None = None, settings: Mapping[str, Any] | None = None,
                departures: Sequence[str] = (), variant: str | None = None, hparams: Mapping[str, Any] | None = None,
                ci: Mapping[str, float] | None = None, extra: Mapping[str, Any] | None = None,
                config: str | None = None, pretraining_data: str | None = None) -> TransferResult:
    """The record of one run of ``task``: the only place a :class:`TransferResult` is assembled for a run.

    Args:
        task: A row of :data:`mmssl_transfer.tasks.TASKS`.
        backbone: Has ``method`` and ``sha256`` (:class:`RecordedBackbone` or a checkpoint identity).
        dataset / protocol / metrics / ci / extra: As in :class:`TransferResult`.
        primary_metric: Defaults to the task's.
        settings: The run's effective settings; each that differs from the task's paper settings is a departure
            (``key=value``, in the paper settings' order). Probes give them. A task without a paper protocol
            compares them with the settings its default borrows and names no departure its ``default_variant``.
        departures: Further departures found by the run (dataset options, eligible classes...), after those of
            ``settings``.
        variant: The variant already named (config runs: ``transfer_task.variant``); used when ``settings`` is
            None. None there means the writer did not record one (``paper_protocol`` None).
        hparams: Chosen hyper-parameters; ``hparams['variant']`` is set here.
        config: The config file or tool. Defaults to the task's probe tool.
        pretraining_data: What the run states the backbone was pretrained on (a config's
            ``transfer_task.pretraining_data``, a probe's ``--pretraining-data``); None: the zoo row's of the
            backbone's method, else ``'unknown'``.

    ``paper_protocol`` is true only for the ``'paper'`` variant of a task the paper has a protocol for: a task
    without one (depth) never claims it, whatever variant its config names.
    """
    spec = TASK_TABLE.get(task)  # an unknown task is refused by TransferResult
    if settings is not None:
        defaults = spec.default_settings if spec is not None else {}
        variant = variant_name(deviations(settings, defaults) + list(departures), default_variant(task))
    hparams = dict(hparams or {})
    if variant is not None:
        hparams['variant'] = variant
    if config is None:
        config = f'tools/{spec.runner.tool}' if spec is not None and hasattr(spec.runner, 'tool') else ''
    if primary_metric is None:
        primary_metric = spec.primary_metric if spec is not None else None
    return TransferResult(
        task=task, dataset=dataset, protocol=protocol, method=backbone.method, checkpoint_sha256=backbone.sha256,
        metrics=dict(metrics), primary_metric=primary_metric, ci=dict(ci or {}), hparams=hparams,
        extra=dict(extra or {}), config=config,
        paper_protocol=None if variant is None else (variant == PAPER_VARIANT and spec is not None
                                                     and spec.has_paper_protocol),
        pretraining_data=pretraining_data_of(backbone.method, pretraining_data))


def published_record(task: str, dataset: str, protocol: str, method: str, metrics: Mapping[str, float],
                     primary_metric: str, source: str, ci: Mapping[str, float] | None = None,
                     paper_protocol: bool = True, extra: Mapping[str, Any] | None = None) -> TransferResult:
    """A published number, as a record (``config='paper'``, no sha256): the paper's (``paper_protocol`` True), or
    another publication's anchor (``paper_protocol`` False, ``extra`` saying its protocol and comparability)."""
    return TransferResult(task=task, dataset=dataset, protocol=protocol, method=method, checkpoint_sha256='',
                          metrics=dict(metrics), primary_metric=primary_metric, ci=dict(ci or {}),
                          extra={'source': source, **(extra or {})}, config='paper', paper_protocol=paper_protocol)


# -- where records live ------------------------------------------------------------------------------------------
#: The suite's store: ``<out>/results/<cell_id>.json``, ``<out>/failed/<cell_id>.json``, ``<out>/suite.json``.
STORE_RESULTS, STORE_FAILED, STORE_INFO = 'results', 'failed', 'suite.json'


def store_result_file(root: str | os.PathLike, cell_id: str) -> Path:
    """The record of a finished cell in a suite store."""
    return Path(root) / STORE_RESULTS / f'{cell_id}.json'


def store_failure_file(root: str | os.PathLike, cell_id: str) -> Path:
    """The failure record of a failed cell in a suite store."""
    return Path(root) / STORE_FAILED / f'{cell_id}.json'


def store_info_file(root: str | os.PathLike) -> Path:
    """What ``run_suite.py`` recorded about the suite of a store."""
    return Path(root) / STORE_INFO


def store_result_files(root: str | os.PathLike) -> list[Path]:
    """Every record of a suite store, in name order (empty when ``root`` is not a store)."""
    return sorted((Path(root) / STORE_RESULTS).glob('*.json'))


def store_failure_files(root: str | os.PathLike) -> list[Path]:
    """Every failure record of a suite store, in name order."""
    return sorted((Path(root) / STORE_FAILED).glob('*.json'))


def is_store(root: str | os.PathLike) -> bool:
    """``root`` is a suite store (it has a ``results/`` folder)."""
    return (Path(root) / STORE_RESULTS).is_dir()


def result_filename(result: TransferResult) -> str:
    """``<task>_<dataset>_<protocol>_<method>.json``: one file per result in a tool's output folder, each part a
    safe token (``ambiguous: supervised, dino`` -> ``ambiguous-supervised-dino``: no colon, space or comma)."""
    parts = (result.task, result.dataset, result.protocol, result.method)
    return '_'.join(safe_token(part) for part in parts) + '.json'


def safe_token(text: str) -> str:
    """``text`` with every run of characters other than letters, digits, ``.``, ``+`` and ``-`` made one ``-``."""
    return re.sub(r'[^A-Za-z0-9.+-]+', '-', text).strip('-') or 'none'
