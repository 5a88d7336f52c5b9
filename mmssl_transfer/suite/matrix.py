"""The run matrix: backbones x tasks expanded into cells, each with a stable key and folder name.

A cell's key is (checkpoint sha256, task kind, dataset, protocol, seed, config hash). The config hash covers
everything else that decides the number: the config file and its ``_base_`` chain (train/test kinds), the
tool, the variant (shots, ...), ``--cfg-options`` and extra arguments. Changing any of these makes a new
cell; re-running an unchanged suite finds every finished cell by its key.
"""
from __future__ import annotations

import ast
import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from mmssl_transfer.checkpoints.identity import IdentityMemo
from mmssl_transfer.datasets.catalog import DATA_ROOTS
from mmssl_transfer.project_files import project_root, variant_configs
from mmssl_transfer.tasks import TASKS, Probe, TaskSpec, TrainTest

from .spec import NO_CHECKPOINT, TOY_CHECKPOINT, BackboneSpec, SuiteError, SuiteSpec


@dataclass(frozen=True)
class Cell:
    """One ordinary run of a tool: a backbone on one task, dataset, protocol, grid point and seed.

    ``grid`` is the cell's point of the task's grid keys (``(('shots', 5), ('ways', 5))``); its key and stored
    records name it ``'variant'``, as round 2 wrote them, so existing stores resume.
    """

    backbone: BackboneSpec
    kind: str
    dataset: str
    protocol: str
    grid: tuple[tuple[str, Any], ...]
    seed: int
    data_root: str
    checkpoint: str | None
    checkpoint_sha256: str
    cfg_options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    args: tuple[str, ...] = ()
    config_hash: str = ''
    config_variants: tuple[str, ...] = ()  # protocol variants of a train/test cell (--variant)

    @property
    def spec(self) -> TaskSpec:
        return TASKS[self.kind]

    @property
    def protocol_label(self) -> str:
        """The protocol as a string, e.g. ``frozen`` or ``5way-20shot``."""
        return self.spec.protocol_label.format(protocol=self.protocol, **dict(self.grid))

    @property
    def key(self) -> dict[str, Any]:
        """What identifies the cell's result."""
        key = {'checkpoint_sha256': self.checkpoint_sha256, 'task': self.kind, 'dataset': self.dataset,
               'protocol': self.protocol_label, 'variant': dict(self.grid), 'seed': self.seed,
               'config_hash': self.config_hash}
        if self.config_variants:
            key['config_variants'] = list(self.config_variants)
        return key

    @property
    def key_hash(self) -> str:
        return _sha256_text(json.dumps(self.key, sort_keys=True))

    @property
    def cell_id(self) -> str:
        """Readable, unique folder/file name: ``byol.fewshot.dtd.5way-5shot.s0.1a2b3c4d``."""
        parts = (self.backbone.name, self.kind, self.dataset, self.protocol_label, *self.config_variants,
                 *(f'{k}{v}' for k, v in self.grid if f'{{{k}}}' not in self.spec.protocol_label),
                 f's{self.seed}', self.key_hash[:8])
        return re.sub(r'[^A-Za-z0-9_.+-]', '_', '.'.join(parts))

    # -- resources (from the task's row) -------------------------------------------------------------------
    @property
    def total_batch_size(self) -> int | None:
        """Images per optimizer step of this cell: its own override (``--cfg-options`` of a train/test cell, the
        tool's batch flag of a probe), else the paper's."""
        runner = self.spec.runner
        if isinstance(runner, TrainTest) and runner.total_batch_option in self.cfg_options:
            return int(self.cfg_options[runner.total_batch_option])
        if isinstance(runner, TrainTest) and self.config_variants:
            stated = [t for t in map(_variant_total_batch, self.variant_files()) if t is not None]
            if stated:  # the last named variant that states a total batch decides (they apply in order)
                return stated[-1]
        if isinstance(runner, Probe) and runner.total_batch_flag in self.args:
            return int(self.args[self.args.index(runner.total_batch_flag) + 1])
        return self.spec.total_batch_size

    def variant_files(self) -> list[Path]:
        """The files of this cell's named protocol variants (``configs/variants/<task>/<name>.py``) that exist."""
        known = variant_configs(self.spec.task, project_root() / 'configs')
        return [known[name] for name in self.config_variants if name in known]

    def gpu_counts(self, limit: int) -> tuple[int, ...]:
        """The GPU (process) counts up to ``limit`` this cell may run on (see :meth:`TaskSpec.usable_gpus`)."""
        return self.spec.usable_gpus(limit, self.total_batch_size)

    @property
    def memory(self) -> str:
        """The task's memory class (``tasks.MEMORY_CLASSES``)."""
        return self.spec.memory

    @property
    def feature_key(self) -> tuple[str, str] | None:
        """(checkpoint, dataset) of the cached features the cell reads and another cell of the same key may be
        extracting; None when the task reads no shared features."""
        if not self.spec.reads_features:
            return None
        return (self.checkpoint_sha256 or f'scratch:{self.backbone.name}', self.dataset)

    def config_path(self, repo_root: Path | None = None) -> Path | None:
        """The cell's config file under ``repo_root`` (default: :func:`~mmssl_transfer.project_files.project_root`)."""
        runner = self.spec.runner
        if isinstance(runner, TrainTest):
            config = runner.config.format(method=self.backbone.config or self.backbone.method, protocol=self.protocol,
                                          dataset=self.dataset)
            return (repo_root or project_root()) / config
        return None


def expand(suite: SuiteSpec, toy_folders: dict[str, Path] | None = None, *,
           resolve_zoo: bool = True, sha_cache: 'IdentityMemo | None' = None,
           repo_root: Path | None = None) -> list[Cell]:
    """Cells of ``suite`` in a stable order: tasks as listed, then datasets, protocols, grid points, seeds,
    backbones (so one task's table fills row by row).

    Args:
        toy_folders: Folders the toy generators wrote (kind -> folder), for ``{toy.<kind>}`` and
            ``checkpoint: toy``.
        resolve_zoo: Download zoo checkpoints that are not cached yet to hash them; ``False`` (dry runs)
            keys them by name instead.
    """
    toy_folders = toy_folders or {}
    sha_cache = sha_cache or IdentityMemo(None)
    repo_root = repo_root or project_root()
    resolved = {b.name: backbone_checkpoint(b, toy_folders, resolve_zoo=resolve_zoo, suite=suite)
                for b in suite.backbones}
    cells = []
    for task in suite.tasks:
        kind = TASKS[task.kind]
        backbones = [b for b in suite.backbones if not task.backbones or b.name in task.backbones]
        train_test = isinstance(kind.runner, TrainTest)
        for dataset, protocol, point, seed, backbone in itertools.product(
                task.datasets, task.protocols, task.grid_points, task.seeds, backbones):
            if train_test:
                _check_vit_config(suite, task.kind, protocol, backbone)
            checkpoint = resolved[backbone.name]
            cell = Cell(backbone=backbone, kind=task.kind, dataset=dataset, protocol=protocol,
                        grid=tuple(sorted(point.items())), seed=seed,
                        data_root=_data_root(suite, dataset, toy_folders), checkpoint=checkpoint,
                        checkpoint_sha256=_checkpoint_sha(checkpoint, sha_cache),
                        cfg_options={**suite.cfg_options, **backbone.cfg_options, **task.cfg_options}
                        if train_test else {},
                        args=() if train_test else backbone.args + task.args,
                        config_variants=_protocol_variants(kind, protocol, task.config_variants))
            cells.append(_with_config_hash(cell, repo_root))
    return cells


def _protocol_variants(kind: TaskSpec, protocol: str, variants: tuple[str, ...]) -> tuple[str, ...]:
    """A train/test cell's config variants: the suite entry's, and first the variant that runs the cell's protocol
    (:attr:`~mmssl_transfer.tasks.TrainTest.variant_protocols`; seg ``'frozen'``: ``dinov2-linear``)."""
    runs = kind.runner.variant_protocols.get(protocol) if isinstance(kind.runner, TrainTest) else None
    return variants if runs is None or runs in variants else (runs, *variants)


def _check_vit_config(suite: SuiteSpec, task: str, protocol: str, backbone: BackboneSpec) -> None:
    """A ViT zoo row runs a train/test task only through the configs its row's ViT base generates; a protocol run
    through a variant (:attr:`~mmssl_transfer.tasks.TrainTest.variant_protocols`) is for the ViT rows only."""
    from mmssl_transfer.checkpoints import VIT_ZOO
    runner = TASKS[task].runner
    if protocol in runner.variant_protocols and backbone.method not in VIT_ZOO and not backbone.config:
        raise SuiteError(f'{suite.path}: backbone {backbone.name!r} is not a ViT, but task {task!r} runs protocol '
                         f'{protocol!r} only on the ViT rows (variant {runner.variant_protocols[protocol]!r}); '
                         'leave the backbone out of that task or give it config: <your configs>')
    if (backbone.config or backbone.method not in VIT_ZOO or protocol in runner.vit_bases
            or protocol in runner.variant_protocols):
        return
    raise SuiteError(f'{suite.path}: backbone {backbone.name!r} is the ViT {backbone.method}, but task {task!r} '
                     f'has no ViT configs for protocol {protocol!r} (ViT bases: {sorted(runner.vit_bases) or "none"});'
                     ' leave the backbone out of that task or give it config: <your configs>')


def backbone_checkpoint(backbone: BackboneSpec, toy_folders: dict[str, Path], *, resolve_zoo: bool = True,
                        suite: SuiteSpec | None = None) -> str | None:
    """The checkpoint a backbone's cells load: a file path, a zoo name (not downloaded yet) or ``None``."""
    from mmssl_transfer.checkpoints import ALL_METHODS as ZOO  # the ResNet-50 rows and the ViT rows
    from mmssl_transfer.checkpoints import VIT_ZOO

    where = f'{suite.path}: backbone {backbone.name!r}' if suite else f'backbone {backbone.name!r}'
    if backbone.checkpoint == NO_CHECKPOINT:
        return None
    if backbone.checkpoint == TOY_CHECKPOINT and backbone.method in VIT_ZOO:
        if 'vit_checkpoints' not in toy_folders:
            raise SuiteError(f'{where}: a toy ViT checkpoint needs toy_world with the "vit_checkpoints" kind')
        from mmssl_transfer.toy.vit_checkpoints import toy_vit_checkpoint_path
        return str(toy_vit_checkpoint_path(toy_folders['vit_checkpoints'], backbone.method))
    if backbone.checkpoint == TOY_CHECKPOINT:
        if 'checkpoints' not in toy_folders:
            raise SuiteError(f'{where}: checkpoint "toy" needs toy_world with the "checkpoints" kind')
        from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
        return str(toy_checkpoint_path(toy_folders['checkpoints'], backbone.method))
    if backbone.checkpoint in ZOO:
        if not resolve_zoo:
            return backbone.checkpoint
        from mmssl_transfer.checkpoints import CheckpointError, DownloadError, identify
        try:  # downloads the official file into the checkpoint cache on first use
            return str(identify(backbone.checkpoint).path)
        except (CheckpointError, DownloadError) as exc:
            raise SuiteError(f'{where}: {exc}') from None
    path = Path(_fill(backbone.checkpoint, toy_folders))
    if not path.is_file():
        raise SuiteError(f'{where}: checkpoint file {path} not found')
    return str(path)


def _checkpoint_sha(checkpoint: str | None, cache: IdentityMemo) -> str:
    if checkpoint is None:
        return ''
    if not Path(checkpoint).is_file():  # a zoo name or a toy checkpoint not written yet (dry run)
        return f'unresolved:{checkpoint}'
    return cache.get(checkpoint)


def _data_root(suite: SuiteSpec, dataset: str, toy_folders: dict[str, Path]) -> str:
    template = suite.data_roots.get(dataset, DATA_ROOTS.get(dataset))
    if template is None:
        raise SuiteError(f'{suite.path}: data_roots has no entry for dataset {dataset!r}')
    return _fill(template, toy_folders, f'{suite.path}: data_roots.{dataset}')


def _fill(template: str, toy_folders: dict[str, Path], where: str = '') -> str:
    """Replace ``{toy.<kind>}`` with the folder that toy kind was written to."""
    def sub(match: re.Match) -> str:
        kind = match.group(1)
        if kind not in toy_folders:
            raise SuiteError(f'{where or template}: {{toy.{kind}}} needs toy_world with the {kind!r} kind')
        return str(toy_folders[kind])
    return re.sub(r'\{toy\.([a-z0-9_]+)\}', sub, template)


def _with_config_hash(cell: Cell, repo_root: Path) -> Cell:
    runner = cell.spec.runner
    parts: dict[str, Any] = {'kind': cell.kind, 'variant': list(cell.grid), 'args': list(cell.args),
                             'cfg_options': cell.cfg_options, 'runner': runner.cell_text()}
    config = cell.config_path(repo_root)
    if config is not None:
        parts['config'] = [(str(p.relative_to(repo_root)) if p.is_relative_to(repo_root) else label, text)
                           for p, label, text in _config_chain(config)]
    if cell.config_variants:  # each variant fragment's text (they have no _base_ of their own)
        known = variant_configs(cell.spec.task, repo_root / 'configs')
        parts['config_variants'] = [(name, known[name].read_text(encoding='utf-8') if name in known else '')
                                    for name in cell.config_variants]
    digest = _sha256_text(json.dumps(parts, sort_keys=True, default=str))[:16]
    return Cell(**{**cell.__dict__, 'config_hash': digest})


def _config_chain(config: Path) -> Iterable[tuple[Path, str, str]]:
    """The config file and, recursively, its ``_base_`` files as (path, label, text) (missing files: empty text).

    A base in an installed package (``mmdet::_base_/models/faster-rcnn_r50_fpn.py``) is read where mmengine reads
    it and labelled by that name, so the hash does not depend on where the package is installed.
    """
    seen: set[Path] = set()
    stack = [(config.resolve(), str(config.resolve()))]
    while stack:
        path, label = stack.pop(0)
        if path in seen:
            continue
        seen.add(path)
        text = path.read_text(encoding='utf-8') if path.is_file() else ''
        yield path, label, text
        for base in _base_files(text):
            base_path = _base_path(path, base)
            stack.append((base_path, base if '::' in base else str(base_path)))


def _base_path(config: Path, base: str) -> Path:
    """Where a ``_base_`` entry of ``config`` lives: beside it, or in the installed package it names."""
    if '::' in base:
        from mmengine.config import Config
        return Path(Config._get_cfg_path(base, str(config))[0]).resolve()  # mmengine's own resolution
    return (config.parent / base).resolve()


def _base_files(text: str) -> list[str]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == '_base_'
                                                for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return []
            return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]
    return []


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def _variant_total_batch(path: Path) -> int | None:
    """The ``transfer_task.total_batch_size`` a variant fragment states (e.g. the toy variants' 2), or None. Read
    from its text: a fragment reads its experiment config as ``_base_`` and cannot be loaded alone."""
    for node in ast.parse(path.read_text(encoding='utf-8')).body:
        if (isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ['transfer_task']
                and isinstance(node.value, ast.Call)):
            for keyword in node.value.keywords:
                if keyword.arg == 'total_batch_size' and isinstance(keyword.value, ast.Constant):
                    return int(keyword.value.value)
    return None
