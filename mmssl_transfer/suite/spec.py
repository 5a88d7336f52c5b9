"""Suite files: which backbones run which tasks on which data, read from YAML and validated.

A suite file (shipped ones live in ``mmssl_transfer/suite/suites/``) looks like::

    name: quick
    description: a first look
    toy_world:                 # optional: write toy data under <out>/toy before running (the demo)
      kinds: [checkpoints, classification]
      options: {checkpoints: {base_channels: 8}}
    data_roots:                # dataset -> folder (default: the catalog's DATA_ROOTS); '{toy.<kind>}' is the
                               # folder a toy generator wrote
      voc0712: data/VOCdevkit
      aircraft: data/cls/aircraft
    cfg_options: {}            # mmengine --cfg-options given to every train/test cell
    backbones:
      - byol                   # a zoo name: the zoo's checkpoint for that method
      - name: my_byol          # a checkpoint file, with the method whose layout and normalisation it has
        checkpoint: work/byol_ep100.pth
        method: byol
      - {name: scratch, method: supervised, checkpoint: none}   # random initialisation
      - {name: mynet, method: simclrv1, checkpoint: work/mynet.pth, config: mynet}   # train/test cells run the
                               # user's own configs/det/mynet_frozen_voc.py, configs/seg/mynet_upernet_ade20k.py, ...
    tasks:
      - {kind: det, protocols: [frozen, finetune]}
      - {kind: linear, datasets: [aircraft, dtd]}
      - {kind: fewshot, datasets: [dtd], shots: [5, 20]}
      - {kind: seg, backbones: [byol]}   # optional: only some backbones
      - {kind: det, protocols: [frozen], variant: bs16-linear-scaling}   # train/test kinds: named protocol
                               # variant(s) (configs/variants/<task>/<name>.py) instead of the paper's protocol

Every mistake is one :class:`SuiteError` whose message starts with the file and the offending entry.
Relative paths are taken as they are (relative to the working directory, like OpenMMLab's ``data/``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from mmssl_transfer.errors import InputError
from mmssl_transfer.project_files import variant_configs
from mmssl_transfer.tasks import TASKS, TrainTest

#: Reserved values of ``checkpoint``: random initialisation, and the toy checkpoint of the backbone's method.
NO_CHECKPOINT = 'none'
TOY_CHECKPOINT = 'toy'
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.+-]*$')


class SuiteError(InputError):
    """A suite file is missing, malformed or names something unknown, or a run option is unusable."""


@dataclass(frozen=True)
class BackboneSpec:
    """One backbone of the run matrix.

    Attributes:
        name: Row label in tables and part of the cell folder names.
        method: Zoo method (checkpoint layout and input normalisation).
        checkpoint: A file path, a zoo name, ``'toy'`` or ``'none'`` (random init).
        config: The ``<name>`` of the user's own per-task configs (``configs/det/<name>_frozen_voc.py``, ...)
            that train/test cells run instead of the zoo method's; empty: the method's.
        cfg_options: Extra mmengine ``--cfg-options`` for this backbone's train/test cells.
        args: Extra command-line arguments for this backbone's probe cells.
    """

    name: str
    method: str
    checkpoint: str
    config: str = ''
    cfg_options: dict[str, Any] = field(default_factory=dict)
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuiteTask:
    """One task entry: a kind of cell over datasets x protocols x grid points x seeds.

    ``grid_points`` cross the task's grid keys (shots, ways, labels_per_class); a *variant* is only ever a named
    departure from the paper's protocol (``config_variants`` here, ``hparams['variant']`` in a record).
    """

    kind: str
    datasets: tuple[str, ...]
    protocols: tuple[str, ...]
    grid_points: tuple[dict[str, Any], ...]
    seeds: tuple[int, ...]
    cfg_options: dict[str, Any] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    backbones: tuple[str, ...] = ()  # empty: every backbone of the suite
    config_variants: tuple[str, ...] = ()  # train/test kinds: protocol variants applied in order; empty: the paper's


@dataclass(frozen=True)
class SuiteSpec:
    """A validated suite file."""

    name: str
    path: Path
    description: str
    backbones: tuple[BackboneSpec, ...]
    tasks: tuple[SuiteTask, ...]
    data_roots: dict[str, str]
    cfg_options: dict[str, Any]
    toy_kinds: tuple[str, ...] = ()
    toy_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def is_toy(self) -> bool:
        return bool(self.toy_kinds)


def shipped_suites() -> dict[str, Path]:
    """Name -> path of the suites shipped as package data."""
    folder = resources.files('mmssl_transfer.suite') / 'suites'
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith('.yaml')}


def find_suite(name_or_path: str | Path) -> Path:
    """A shipped suite name (``paper``, ``quick``, ``demo``) or a path to a suite file."""
    shipped = shipped_suites()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    path = Path(name_or_path)
    if not path.is_file():
        raise SuiteError(f'{path}: no such suite file (shipped suites: {", ".join(sorted(shipped))})')
    return path


def load_suite(name_or_path: str | Path) -> SuiteSpec:
    """Read and validate a suite file; see the module docstring for the format."""
    import yaml

    path = find_suite(name_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding='utf-8'))
    except yaml.YAMLError as exc:
        raise SuiteError(f'{path}: not valid YAML ({exc})') from None
    return parse_suite(data, path)


def parse_suite(data: Any, path: Path) -> SuiteSpec:
    """Validate an already-parsed suite mapping (``path`` only names the source in errors)."""
    where = _Where(path)
    if not isinstance(data, dict):
        where.fail('', f'expected a mapping at the top level, found {type(data).__name__}')
    unknown = set(data) - {'name', 'description', 'toy_world', 'data_roots', 'cfg_options', 'backbones',
                           'tasks'}
    if unknown:
        where.fail('', f'unknown top-level keys {sorted(unknown)}')
    backbones = [_parse_backbone(b, where.at(f'backbones[{i}]')) for i, b in
                 enumerate(where.require_list(data, 'backbones'))]
    names = [b.name for b in backbones]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        where.fail('backbones', f'backbone names must be unique; repeated: {dupes}')
    tasks = [_parse_task(t, where.at(f'tasks[{i}]')) for i, t in enumerate(where.require_list(data, 'tasks'))]
    for i, task in enumerate(tasks):
        unknown = [b for b in task.backbones if b not in names]
        if unknown:
            where.fail(f'tasks[{i}].backbones', f'{unknown} are not backbones of this suite ({names})')
    data_roots = where.mapping(data, 'data_roots')
    toy = where.mapping(data, 'toy_world')
    toy_kinds, toy_options = _parse_toy(toy, where.at('toy_world')) if toy else ((), {})
    return SuiteSpec(
        name=str(data.get('name', path.stem)), path=path, description=str(data.get('description', '')),
        backbones=tuple(backbones), tasks=tuple(tasks), data_roots={k: str(v) for k, v in data_roots.items()},
        cfg_options=where.mapping(data, 'cfg_options'), toy_kinds=toy_kinds, toy_options=toy_options)


def _parse_backbone(entry: Any, where: '_Where') -> BackboneSpec:
    from mmssl_transfer.checkpoints import ALL_METHODS as ZOO  # the ResNet-50 rows and the ViT rows

    if isinstance(entry, str):
        entry = {'name': entry}
    if not isinstance(entry, dict):
        where.fail('', f'expected a zoo name or a mapping, found {type(entry).__name__}')
    unknown = set(entry) - {'name', 'method', 'checkpoint', 'config', 'cfg_options', 'args'}
    if unknown:
        where.fail('', f'unknown keys {sorted(unknown)}')
    name = str(entry.get('name', entry.get('method', '')))
    if not _NAME.match(name):
        where.fail('name', f'{name!r} is not a usable name (letters, digits, _ . + -)')
    method = str(entry.get('method', name))
    if method not in ZOO:
        where.fail('method', f'unknown method {method!r}; zoo methods: {", ".join(sorted(ZOO))}')
    checkpoint = str(entry.get('checkpoint', method))
    if checkpoint in ZOO and checkpoint != method:
        where.fail('checkpoint', f'zoo checkpoint {checkpoint!r} does not match method {method!r}')
    config = str(entry.get('config', ''))
    if config and not _NAME.match(config):
        where.fail('config', f'{config!r} is not a config name (the <name> of configs/det/<name>_frozen_voc.py)')
    return BackboneSpec(name=name, method=method, checkpoint=checkpoint, config=config,
                        cfg_options=where.mapping(entry, 'cfg_options'),
                        args=tuple(str(a) for a in where.list_of(entry, 'args')))


def _parse_task(entry: Any, where: '_Where') -> SuiteTask:
    if not isinstance(entry, dict):
        where.fail('', f'expected a mapping, found {type(entry).__name__}')
    kind_name = entry.get('kind')
    if kind_name not in TASKS:
        where.fail('kind', f'unknown kind {kind_name!r}; known: {", ".join(TASKS)}')
    kind = TASKS[kind_name]
    allowed = {'kind', 'datasets', 'protocols', 'seeds', 'cfg_options', 'args', 'backbones'} | set(kind.grid)
    if isinstance(kind.runner, TrainTest):
        allowed.add('variant')
    unknown = set(entry) - allowed
    if unknown:
        where.fail('', f'unknown keys {sorted(unknown)} for kind {kind_name!r} (allowed: {sorted(allowed)})')
    datasets = tuple(str(d) for d in where.list_of(entry, 'datasets', kind.default_datasets))
    if not datasets:
        where.fail('datasets', f'kind {kind_name!r} needs a list of datasets (known: {", ".join(kind.datasets)})')
    bad = [d for d in datasets if d not in kind.datasets]
    if bad:
        where.fail('datasets', f'{bad} not supported by kind {kind_name!r} (known: {", ".join(kind.datasets)})')
    protocols = tuple(str(p) for p in where.list_of(entry, 'protocols', kind.protocols[:1]))
    bad = [p for p in protocols if p not in kind.protocols]
    if bad:
        where.fail('protocols', f'{bad} not supported by kind {kind_name!r} (known: {", ".join(kind.protocols)})')
    seeds = where.list_of(entry, 'seeds', [0])
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        where.fail('seeds', f'seeds must be integers, found {seeds}')
    grid_points: list[dict[str, Any]] = [{}]
    for key, default in kind.grid.items():
        values = where.list_of(entry, key, default)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
            where.fail(key, f'{key} must be positive integers, found {values}')
        grid_points = [dict(p, **{key: x}) for p in grid_points for x in values] if values else grid_points
    config_variants = tuple(str(v) for v in where.list_of(entry, 'variant'))
    known = variant_configs(kind.task)
    unknown = [v for v in config_variants if v not in known]
    if unknown:
        where.fail('variant', f'unknown {kind.task} variants {unknown} (known: {", ".join(known) or "none"})')
    return SuiteTask(kind=kind_name, datasets=datasets, protocols=protocols, grid_points=tuple(grid_points),
                     seeds=tuple(seeds), cfg_options=where.mapping(entry, 'cfg_options'),
                     args=tuple(str(a) for a in where.list_of(entry, 'args')),
                     backbones=tuple(str(b) for b in where.list_of(entry, 'backbones')),
                     config_variants=config_variants)


def _parse_toy(toy: dict[str, Any], where: '_Where') -> tuple[tuple[str, ...], dict[str, dict[str, Any]]]:
    from mmssl_transfer.toy import TOY_GENERATORS

    kinds = tuple(str(k) for k in where.list_of(toy, 'kinds', list(TOY_GENERATORS)))
    bad = [k for k in kinds if k not in TOY_GENERATORS]
    if bad:
        where.fail('kinds', f'unknown toy kinds {bad}; known: {sorted(TOY_GENERATORS)}')
    options = where.mapping(toy, 'options')
    for kind, opts in options.items():
        if kind not in kinds or not isinstance(opts, dict):
            where.fail(f'options.{kind}', 'options must be a mapping for one of the listed kinds')
    return kinds, options


class _Where:
    """Builds error messages that name the file and the entry."""

    def __init__(self, path: Path, prefix: str = '') -> None:
        self.path, self.prefix = path, prefix

    def at(self, sub: str) -> '_Where':
        return _Where(self.path, f'{self.prefix}.{sub}' if self.prefix else sub)

    def fail(self, key: str, message: str) -> None:
        loc = '.'.join(p for p in (self.prefix, key) if p)
        raise SuiteError(f'{self.path}: {loc + ": " if loc else ""}{message}')

    def require_list(self, data: dict, key: str) -> list:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            self.fail(key, 'a non-empty list is required')
        return value

    def list_of(self, data: dict, key: str, default: Any = ()) -> list:
        value = data.get(key, list(default))
        if not isinstance(value, list):
            value = [value] if isinstance(value, (str, int)) else self.fail(key, 'expected a list')
        return value

    def mapping(self, data: dict, key: str) -> dict:
        value = data.get(key) or {}
        if not isinstance(value, dict):
            self.fail(key, f'expected a mapping, found {type(value).__name__}')
        return dict(value)
