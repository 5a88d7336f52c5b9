"""Command lines of a cell, built from the kind table for the chosen launcher.

``--launcher none`` with one GPU (or CPU) runs ``python tools/<tool>``; ``--gpus N`` (N > 1) or
``--launcher pytorch`` runs ``tools/dist_train.sh`` / ``dist_test.sh`` (torchrun) for train/test kinds and
``torchrun --nproc_per_node N --standalone tools/<tool> --launcher pytorch`` for probes (a free port each);
``--launcher slurm`` goes through ``tools/slurm_train.sh`` / ``slurm_test.sh`` (``GPUS=N``, partition from
``--partition``).

N is only the number of processes: every tool splits its protocol's total batch over them (same numbers on 1 or
N GPUs), so nothing here scales a batch. ``max_batch_per_gpu`` reaches the tools that train
(``--max-batch-per-gpu``: gradient accumulation on GPUs that hold fewer images).
"""
from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mmssl_transfer.project_files import project_root
from mmssl_transfer.tasks import Probe, TrainTest

from .matrix import Cell
from .spec import SuiteError

LAUNCHERS = ('none', 'pytorch', 'slurm')


@dataclass(frozen=True)
class RunContext:
    """Where and how cells run."""

    out_dir: Path
    gpus: int = 1
    launcher: str = 'none'
    partition: str = ''
    max_batch_per_gpu: int | None = None
    repo_root: Path = field(default_factory=project_root)  # holds configs/ and tools/
    python: str = sys.executable

    @property
    def tools(self) -> Path:
        return self.repo_root / 'tools'

    @property
    def distributed(self) -> bool:
        return self.launcher == 'pytorch' or (self.launcher == 'none' and self.gpus > 1)


@dataclass
class Step:
    """One subprocess of a cell; ``argv`` items may be callables resolved just before the step runs
    (the test step's checkpoint is only known once training has finished)."""

    name: str
    argv: list[str | Callable[[], str]]
    env: dict[str, str] = field(default_factory=dict)

    def resolve(self) -> list[str]:
        return [a() if callable(a) else a for a in self.argv]

    def display(self) -> str:
        return shlex.join(a if isinstance(a, str) else '<' + getattr(a, 'label', 'deferred') + '>'
                          for a in self.argv)


def cell_dir(ctx: RunContext, cell: Cell) -> Path:
    return ctx.out_dir / 'cells' / cell.cell_id


def work_dir(ctx: RunContext, cell: Cell) -> Path:
    return cell_dir(ctx, cell) / 'work'


def result_path(ctx: RunContext, cell: Cell) -> Path:
    """Where the cell's tool writes its TransferResult JSON."""
    if isinstance(cell.spec.runner, TrainTest):
        return work_dir(ctx, cell) / 'result.json'
    return cell_dir(ctx, cell) / 'result.json'


def build_steps(ctx: RunContext, cell: Cell, resume: bool = False) -> list[Step]:
    """The subprocesses that run ``cell`` under ``ctx``'s launcher."""
    runner = cell.spec.runner
    builder = _BUILDERS[type(runner)]
    return builder(ctx, cell, runner, resume)


def _batch_cap(ctx: RunContext) -> list[str]:
    return ['--max-batch-per-gpu', str(ctx.max_batch_per_gpu)] if ctx.max_batch_per_gpu else []


def _template_values(ctx: RunContext, cell: Cell) -> dict[str, Any]:
    return {'python': ctx.python, 'tools': str(ctx.tools), 'method': cell.backbone.method,
            'checkpoint': cell.checkpoint if cell.checkpoint is not None else 'none', 'dataset': cell.dataset,
            'data_root': cell.data_root, 'protocol': cell.protocol, 'seed': cell.seed,
            'work_dir': str(work_dir(ctx, cell)), 'result': str(result_path(ctx, cell)), 'gpus': ctx.gpus,
            'cache_dir': str(ctx.out_dir / 'feature_cache'),
            **dict(cell.grid)}


def _cfg_options(cell: Cell, runner: TrainTest) -> list[str]:
    options = {runner.seed_option: cell.seed, **cell.cfg_options}
    if cell.checkpoint is None:
        options[runner.no_checkpoint_option] = None
    return ['--cfg-options'] + [f'{k}={_cfg_value(v)}' for k, v in options.items()]


def _cfg_value(value: Any) -> str:
    """A value as mmengine's ``DictAction`` parses it (lists/tuples without spaces, None as 'None')."""
    if isinstance(value, (list, tuple)):
        inner = ','.join(_cfg_value(v) for v in value)
        return f'[{inner}]' if isinstance(value, list) else f'({inner})'
    if isinstance(value, dict):
        raise SuiteError(f'cfg_options cannot carry a dict value ({value}); use dotted keys')
    return str(value)


def _train_test_steps(ctx: RunContext, cell: Cell, runner: TrainTest, resume: bool) -> list[Step]:
    config = str(cell.config_path(ctx.repo_root))
    wd = work_dir(ctx, cell)
    common = ['--work-dir', str(wd), '--data-root', cell.data_root]
    options = [arg for name in cell.config_variants for arg in ('--variant', name)] + _cfg_options(cell, runner)
    # test.py loads the whole trained model, so only training is told the backbone checkpoint
    train_extra = ['--checkpoint', cell.checkpoint] if cell.checkpoint is not None else []
    train_extra += _batch_cap(ctx)
    if resume and (wd / 'last_checkpoint').is_file():
        train_extra.append('--resume')

    def last_checkpoint() -> str:
        marker = wd / 'last_checkpoint'
        if not marker.is_file():
            raise FileNotFoundError(f'{marker}: training finished without recording its last checkpoint')
        return marker.read_text().strip()
    last_checkpoint.label = 'work_dir/last_checkpoint'  # type: ignore[attr-defined]

    tools = ctx.tools
    if ctx.launcher == 'slurm':
        env = {'GPUS': str(ctx.gpus), 'GPUS_PER_NODE': str(min(ctx.gpus, 8))}
        job = cell.cell_id[:60]
        return [Step('train', ['bash', str(tools / 'slurm_train.sh'), ctx.partition, job, config, str(wd)]
                     + common[2:] + train_extra + options, env),
                Step('test', ['bash', str(tools / 'slurm_test.sh'), ctx.partition, job, config, last_checkpoint]
                     + common + options, env)]
    if ctx.distributed:
        gpus = str(max(ctx.gpus, 1))
        return [Step('train', ['bash', str(tools / 'dist_train.sh'), config, gpus] + common + train_extra + options),
                Step('test', ['bash', str(tools / 'dist_test.sh'), config, last_checkpoint, gpus] + common + options)]
    return [Step('train', [ctx.python, str(tools / 'train.py'), config] + common + train_extra + options),
            Step('test', [ctx.python, str(tools / 'test.py'), config, last_checkpoint] + common + options)]


def _probe_steps(ctx: RunContext, cell: Cell, runner: Probe, resume: bool) -> list[Step]:
    values = _template_values(ctx, cell)
    args = [a.format(**values) for a in runner.args]
    args += [a.format(**values) for a in (runner.checkpoint_args if cell.checkpoint else runner.scratch_args)]
    for key, extra in runner.grid_args.items():
        if key in values:
            args += [a.format(**values) for a in extra]
    args += list(cell.args)
    if runner.trains:
        args += _batch_cap(ctx)
    tool = str(ctx.tools / runner.tool)
    if ctx.launcher == 'slurm':
        env = {'GPUS': str(ctx.gpus)}
        return [Step(runner.tool, ['srun', '-p', ctx.partition, f'--job-name={cell.cell_id[:60]}',
                                   f'--gres=gpu:{min(ctx.gpus, 8)}', '--ntasks', str(ctx.gpus),
                                   '--ntasks-per-node', str(min(ctx.gpus, 8)), ctx.python, '-u', tool]
                     + args + ['--launcher', 'slurm'], env)]
    if ctx.distributed and runner.distributed:
        return [Step(runner.tool, [ctx.python, '-m', 'mmssl_transfer.torchrun', f'--nproc_per_node={ctx.gpus}',
                                   '--standalone', tool] + args + ['--launcher', 'pytorch'])]
    return [Step(runner.tool, [ctx.python, tool] + args)]


_BUILDERS: dict[type, Callable[..., list[Step]]] = {TrainTest: _train_test_steps, Probe: _probe_steps}
