"""A protocol's schedule linearly scaled to a number of GPUs that does not divide its total batch.

The paper's protocols state a small total batch (detection 2, ADE20K 4, NYUv2 normals 2 images per optimizer
step). On N processes that do not divide it, :func:`fit_to_processes` runs the schedule scaled by the smallest k
that makes the total divisible by N (``k = N / gcd(total, N)``), with the linear scaling rule of Goyal et al.
2017 ("Accurate, Large Minibatch SGD"), as detectron2's ``DefaultTrainer.auto_scale_workers`` does for the
paper's detection configs: total batch x k, lr x k, and every count of iterations / k (``max_iters``, warm-up
length, milestones, poly / cosine decay length, validation and checkpoint intervals; rounded to the nearest
iteration, at least 1). Epoch-based loops keep their epochs (an epoch holds k times fewer, larger steps by itself).
The run is recorded as the variant ``linear-scaling-x<k>`` (never the paper's protocol) and its scaled numbers go
to the test result's ``hparams`` through the model checkpoint's meta (``meta['linear_scaling']``).

On 8 GPUs detection (total 2) runs k = 4: total 8, lr 0.01, 36k iterations, lr x0.1 at 24k and 32k, 25 warm-up
iterations; k = 8 gives the hand-written variant ``bs16-linear-scaling`` (total 16, lr 0.02, 18k, 12k/16k; that
file keeps detectron2's 100 warm-up iterations where the rule gives 12). ``--paper-only`` refuses instead.

:func:`scale_schedule` is the rule itself, a pure function on a :class:`Schedule`, whose fields are named as the
paper settings of a task's row in :data:`mmssl_transfer.tasks.TASKS` (the one place that states the paper's
schedule, citing the paper's code): :func:`paper_schedule` reads a row, :func:`scaled_paper_schedule` gives the
paper's schedule of a task on N GPUs. :func:`apply_linear_scaling` applies the same rule to a config (a variant's
or a shrunken test config's own schedule; the paper's configs state the row's numbers, a test checks).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from mmengine.config import Config

from mmssl_transfer.tasks import TASKS

from .batch_split import LINEAR_SCALING_KEY, BatchSplitError, protocol_label

#: Variant name of a run scaled by k: ``f'{VARIANT_PREFIX}{k}'``.
VARIANT_PREFIX = 'linear-scaling-x'
#: Iteration counts of each iteration-based parameter scheduler (``by_epoch=False``) that the rule divides.
SCHEDULER_ITERATION_KEYS = ('begin', 'end', 'milestones', 'T_max')
#: Iteration counts of an ``IterBasedTrainLoop``.
LOOP_ITERATION_KEYS = ('max_iters', 'val_interval', 'val_begin')
#: mmengine's "no end" of a scheduler (``end=INF``) is left as it is.
_NO_END = 10**9


@dataclass(frozen=True)
class Schedule:
    """The numbers linear scaling changes, named as a task's paper settings (``tasks.PaperSetting.name``) are.

    Args:
        total_batch_size: Images per optimizer step over all processes.
        lr: Base learning rate.
        max_iters: Optimizer steps (None: an epoch-based loop).
        warmup_iters: Length of the warm-up (0: none).
        milestones: Steps of a multi-step decay.
        decay_iters: Length of a poly / cosine decay (None: none).
    """

    total_batch_size: int
    lr: float
    max_iters: int | None
    warmup_iters: int = 0
    milestones: tuple[int, ...] = ()
    decay_iters: int | None = None

    def as_hparams(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def scaling_factor(total_batch_size: int, world_size: int) -> int:
    """The smallest k such that ``world_size`` divides ``total_batch_size x k`` (1 when it divides already)."""
    return world_size // math.gcd(total_batch_size, world_size)


def scale_iterations(iterations: int, k: int) -> int:
    """``iterations / k`` rounded to the nearest whole iteration; 0 stays 0, anything else is at least 1."""
    return 0 if iterations == 0 else max(1, round(iterations / k))


def scale_schedule(schedule: Schedule, k: int) -> Schedule:
    """The linear scaling rule: total batch and lr x k, every iteration count / k (:func:`scale_iterations`)."""
    if not isinstance(k, int) or k < 1:
        raise ValueError(f'scaling factor must be a positive integer, got {k!r}')
    if k == 1:
        return schedule
    steps = (lambda n: None if n is None else scale_iterations(n, k))
    return Schedule(total_batch_size=schedule.total_batch_size * k, lr=schedule.lr * k,
                    max_iters=steps(schedule.max_iters), warmup_iters=steps(schedule.warmup_iters),
                    milestones=tuple(scale_iterations(m, k) for m in schedule.milestones),
                    decay_iters=steps(schedule.decay_iters))


def paper_schedule(task: str) -> Schedule:
    """The default schedule of ``task``: the :class:`Schedule` fields among its row's paper settings (for a task
    the paper lacks, depth, the ones it borrows: :attr:`~mmssl_transfer.tasks.TaskSpec.default_settings`).

    Raises:
        ValueError: The row states no single schedule (a total batch, an lr and a number of iterations), e.g. a
            probe, or the finetune sweep's lr grid.
    """
    settings = TASKS[task].default_settings
    missing = [key for key in ('total_batch_size', 'lr', 'max_iters') if key not in settings]
    if missing:
        raise ValueError(f'{task}: its paper settings state no schedule to scale (no {", ".join(missing)})')
    return Schedule(**{f.name: settings[f.name] for f in fields(Schedule) if f.name in settings})


def scaled_paper_schedule(task: str, world_size: int) -> tuple[int, Schedule]:
    """The paper's schedule of ``task`` on ``world_size`` GPUs: the factor k (:func:`scaling_factor`; 1 when the
    GPUs divide the total batch) and the schedule scaled by it (:func:`scale_schedule`)."""
    paper = paper_schedule(task)
    k = scaling_factor(paper.total_batch_size, world_size)
    return k, scale_schedule(paper, k)


def variant_name(k: int) -> str:
    return f'{VARIANT_PREFIX}{k}'


def schedule_of(cfg: Config) -> Schedule:
    """The :class:`Schedule` a training config states (total batch, lr, loop length, warm-up, decay)."""
    task = cfg.get('transfer_task') or {}
    total = task.get('total_batch_size', cfg.train_dataloader.batch_size)
    loop = cfg.get('train_cfg') or {}
    warmup, milestones, decay = 0, (), None
    for scheduler in _iteration_schedulers(cfg):
        if scheduler.get('type') == 'LinearLR':
            warmup = int(scheduler.get('end', 0))
        elif scheduler.get('type') == 'MultiStepLR':
            milestones = tuple(scheduler.get('milestones', ()))
        elif 'end' in scheduler or 'T_max' in scheduler:
            decay = int(scheduler.get('T_max', scheduler.get('end')))
    return Schedule(total_batch_size=int(total), lr=float(cfg.optim_wrapper.optimizer.lr),
                    max_iters=loop.get('max_iters'), warmup_iters=warmup, milestones=milestones, decay_iters=decay)


def apply_linear_scaling(cfg: Config, k: int) -> Schedule:
    """Rewrite a training config to its schedule scaled by ``k``; return the scaled :class:`Schedule`.

    Sets the total batch (``transfer_task.total_batch_size`` and the single-process ``train_dataloader.
    batch_size``), the lr (and ``auto_scale_lr.base_batch_size``, so ``--auto-scale-lr`` does not scale again),
    the iteration counts of the loop, of every ``by_epoch=False`` scheduler and of an iteration-based checkpoint
    hook; appends ``linear-scaling-x<k>`` to ``transfer_task.variant``; stores ``cfg.linear_scaling``.
    """
    paper = schedule_of(cfg)
    if k == 1:
        return paper
    cfg.transfer_task.total_batch_size = paper.total_batch_size * k
    cfg.train_dataloader.batch_size = paper.total_batch_size * k
    cfg.optim_wrapper.optimizer.lr = paper.lr * k
    if cfg.get('auto_scale_lr') is not None:
        cfg.auto_scale_lr.base_batch_size = paper.total_batch_size * k
    loop = cfg.train_cfg
    if 'max_iters' in loop:
        for key in LOOP_ITERATION_KEYS:
            if isinstance(loop.get(key), int):
                loop[key] = scale_iterations(loop[key], k)
    for scheduler in _iteration_schedulers(cfg):
        for key in SCHEDULER_ITERATION_KEYS:
            value = scheduler.get(key)
            if isinstance(value, int) and value < _NO_END:
                scheduler[key] = scale_iterations(value, k)
            elif isinstance(value, (list, tuple)):
                scheduler[key] = [scale_iterations(v, k) for v in value]
    checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint')
    if checkpoint and checkpoint.get('by_epoch') is False and isinstance(checkpoint.get('interval'), int):
        checkpoint.interval = scale_iterations(checkpoint.interval, k)
    names = [n for n in str(cfg.transfer_task.get('variant') or 'paper').split('+') if n != 'paper']
    cfg.transfer_task.variant = '+'.join([*names, variant_name(k)])
    scaled = schedule_of(cfg)
    cfg[LINEAR_SCALING_KEY] = dict(factor=k, paper=paper.as_hparams(), scaled=scaled.as_hparams())
    return scaled


def fit_to_processes(cfg: Config, world_size: int, paper_only: bool = False) -> int:
    """Scale a training config's schedule so that ``world_size`` processes share its total batch; return k.

    Nothing changes (k = 1) when the config states no total batch or ``world_size`` divides it.

    Raises:
        BatchSplitError: ``paper_only`` and the total is not divisible (the message names both ways forward);
            the same on every process (``same_on_every_rank``), so rank 0 alone reports it.
    """
    total = (cfg.get('transfer_task') or {}).get('total_batch_size')
    if cfg.get('train_cfg') is None or not isinstance(total, int) or total < 1 or total % world_size == 0:
        return 1
    k = scaling_factor(total, world_size)
    scaled = scale_schedule(schedule_of(cfg), k)
    if paper_only:
        raise BatchSplitError(
            f'{protocol_label(cfg)}: --paper-only: the total batch of {total} images per optimizer step cannot be '
            f'split evenly over {world_size} processes (GPUs). Run it on a number of GPUs that divides {total} '
            f'(e.g. {_divisors(total)}), or without --paper-only to train the schedule linearly scaled by {k} '
            f'({describe(scaled)}; recorded as variant {variant_name(k)})')
    apply_linear_scaling(cfg, k)
    return k


def scaling_notice(cfg: Config, world_size: int) -> str:
    """One line: the run is linearly scaled, to what, and how to keep the paper's schedule."""
    info = cfg[LINEAR_SCALING_KEY]
    paper = info['paper']['total_batch_size']
    return (f'{protocol_label(cfg)}: the total batch of {paper} images per step cannot be split over '
            f'{world_size} GPUs: training the schedule linearly scaled by {info["factor"]} '
            f'({describe(_from_hparams(info["scaled"]))}), '
            f'recorded as variant {variant_name(info["factor"])}, not the paper\'s protocol. For the paper\'s '
            f'schedule run on a number of GPUs that divides {paper} (e.g. {_divisors(paper)}; --max-batch-per-gpu N '
            f'accumulates gradients where a GPU holds fewer images); --paper-only refuses instead of scaling.')


def describe(schedule: Schedule) -> str:
    """``total batch 8, lr 0.01, 36000 iterations, milestones 24000/32000, warm-up 25`` (the parts it has)."""
    parts = [f'total batch {schedule.total_batch_size}', f'lr {schedule.lr:g}']
    if schedule.max_iters is not None:
        parts.append(f'{schedule.max_iters} iterations')
    if schedule.milestones:
        parts.append('milestones ' + '/'.join(map(str, schedule.milestones)))
    if schedule.warmup_iters:
        parts.append(f'warm-up {schedule.warmup_iters}')
    return ', '.join(parts)


def _divisors(total: int) -> str:
    return ', '.join(str(n) for n in range(1, total + 1) if total % n == 0)


def _iteration_schedulers(cfg: Config) -> list:
    schedulers = cfg.get('param_scheduler') or []
    schedulers = schedulers if isinstance(schedulers, (list, tuple)) else [schedulers]
    return [s for s in schedulers if s.get('by_epoch', True) is False]  # epoch counts keep their meaning


def _from_hparams(values: dict[str, Any]) -> Schedule:
    return Schedule(**{**values, 'milestones': tuple(values.get('milestones', ()))})
