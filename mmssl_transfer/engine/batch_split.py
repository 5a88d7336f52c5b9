"""Total batch -> per-process batch and gradient accumulation: results do not depend on the number of GPUs.

Each protocol states its **total** batch (images per optimizer step summed over all processes) in its config,
``transfer_task.total_batch_size``, with ``train_dataloader.batch_size`` written equal to it (the single-process
value). Before a run, :func:`apply_total_batch` rewrites the config for the processes that run it::

    per-process batch = total / (world_size * accumulate)      optim_wrapper.accumulative_counts = accumulate

``accumulate`` is 1 unless a per-GPU cap (``--max-batch-per-gpu``) is below ``total / world_size``; it is then
the smallest number of micro-batches that divides the per-process share into batches within the cap. With
accumulation an iteration of the train loop is a micro-batch, so the loop's iteration counts (``max_iters``,
validation and checkpoint intervals) are multiplied by ``accumulate`` and iteration-based lr/momentum schedules
step once per optimizer update (:class:`~mmssl_transfer.engine.hooks.UpdateStepParamSchedulerHook`): the
optimizer sees the same sequence of updates, lr values included.

A total that no number of whole images per process splits exactly is refused, naming the protocol and what to
do. Configs that state no total keep the older meaning (``batch_size`` per process, total = batch x processes).

What still differs from one process (bounded by tests/test_distributed): gradients are summed over processes in
another floating-point order; BatchNorm statistics are those of the whole step's batch only for SyncBN layers
(``sync_bn='torch'`` is set for N > 1 processes unless the config chooses; on CPU processes
:mod:`mmssl_transfer.compat` runs SyncBN over gloo), under accumulation they are those of a micro-batch; random
sampling inside models (e.g. proposal sampling in detection) draws from each process's own random stream. The
samples of each optimizer step are the same: mmengine's samplers give rank r the positions r, r + N, ... of one
seeded order; and so are their random augmentations where the loader's ``InfiniteSampler`` reads a dataset with a
pipeline of its own (recognition finetune, ADE20K, normals): :func:`apply_total_batch` swaps in
``NumberedDrawSampler`` and puts ``SeedByDraw`` first in the pipeline (:mod:`mmssl_transfer.datasets.samplers`),
so each image's crop and flip follow from its position in the run's stream of samples. Detection keeps its
processes' own streams (the inner index of its VOC07+12 ``ConcatDataset`` drops the draw, and mmdet's
``AspectRatioBatchSampler``, which groups each process's images by orientation, already makes its batches differ).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from mmengine.config import Config, ConfigDict

from mmssl_transfer.errors import InputError

#: Message-hub info key and checkpoint ``meta`` key of the training run's split (read by the test result).
BATCH_SPLIT_KEY = 'batch_split'
#: Config key and checkpoint ``meta`` key of a linearly scaled schedule (:mod:`~mmssl_transfer.engine.linear_scaling`).
LINEAR_SCALING_KEY = 'linear_scaling'
#: The train loops whose iteration counts :func:`apply_total_batch` scales under accumulation, and which keys.
LOOP_ITERATION_KEYS: dict[str, tuple[str, ...]] = {
    'IterBasedTrainLoop': ('max_iters', 'val_interval', 'val_begin'),
    'EpochBasedTrainLoop': (),  # an epoch holds accumulate x more (smaller) iterations by itself
}
#: default_hooks whose ``interval`` counts iterations: always (logger), or when ``by_epoch=False`` (checkpoint,
#: whose default is by epoch).
ITERATION_INTERVAL_HOOKS = {'logger': None, 'checkpoint': True}


class BatchSplitError(InputError):
    """A protocol's total batch cannot be run on the given processes exactly (the same on every process)."""

    same_on_every_rank = True  # decided from the config and the world size: rank 0 alone reports it


@dataclass(frozen=True)
class BatchSplit:
    """How one optimizer step's images are shared: ``total = world_size x batch_per_process x accumulate``."""

    total_batch_size: int
    world_size: int
    batch_per_process: int
    accumulative_counts: int
    total_stated: bool = True  # False: the config states no total (batch_size meant per process)

    def as_hparams(self) -> dict[str, Any]:
        return asdict(self)


def split_total_batch(total: int, world_size: int, max_batch_per_gpu: int | None = None,
                      protocol: str = 'this protocol') -> BatchSplit:
    """Per-process batch and accumulation for ``total`` images per step on ``world_size`` processes.

    Args:
        total: Images per optimizer step, summed over processes.
        world_size: Number of processes (GPUs).
        max_batch_per_gpu: Most images one process holds at once; None: no cap.
        protocol: Named in the refusal.

    Raises:
        BatchSplitError: ``total`` is not a multiple of ``world_size``, or a bad argument.
    """
    for name, value in (('total batch', total), ('world size', world_size)):
        if not isinstance(value, int) or value < 1:
            raise BatchSplitError(f'{protocol}: {name} must be a positive integer, got {value!r}')
    if max_batch_per_gpu is not None and (not isinstance(max_batch_per_gpu, int) or max_batch_per_gpu < 1):
        raise BatchSplitError(f'--max-batch-per-gpu must be a positive integer, got {max_batch_per_gpu!r}')
    if total % world_size:
        fits = [n for n in (1, 2, 4, 8, 16, 32, 64) if total % n == 0 and n <= total]
        raise BatchSplitError(
            f'{protocol}: its total batch of {total} images per optimizer step cannot be split evenly over '
            f'{world_size} processes (GPUs); results would depend on the number of GPUs. Run it on a number of '
            f'GPUs that divides {total} (e.g. {", ".join(map(str, fits))}); a GPU that cannot hold '
            f'{total} // GPUs images can accumulate gradients with --max-batch-per-gpu N.')
    share = total // world_size
    cap = max_batch_per_gpu or share
    accumulate = next(a for a in range(1, share + 1) if share % a == 0 and share // a <= cap)
    return BatchSplit(total, world_size, share // accumulate, accumulate)


def protocol_label(cfg: Config) -> str:
    """``<task>/<dataset>/<protocol> (<config file>)`` for messages."""
    task = cfg.get('transfer_task') or {}
    name = '/'.join(str(task[k]) for k in ('task', 'dataset', 'protocol') if k in task)
    where = f' ({cfg.filename})' if cfg.filename else ''
    return f'{name}{where}' if name else str(cfg.filename or 'the config')


def apply_total_batch(cfg: Config, world_size: int, max_batch_per_gpu: int | None = None) -> BatchSplit | None:
    """Rewrite a training config for ``world_size`` processes; return the split (None: the config trains nothing).

    Sets ``train_dataloader.batch_size`` (per process) and, under accumulation, ``optim_wrapper.
    accumulative_counts``, the loop's iteration counts and the scheduler hook; adds ``sync_bn='torch'`` for
    N > 1 processes (unless the config sets it) and a :class:`~mmssl_transfer.engine.hooks.BatchSplitHook`
    that checks the split against the real process group and records it in checkpoints. ``auto_scale_lr``
    (``--auto-scale-lr``) is applied here from the total batch and switched off for mmengine, whose own rule
    (processes x per-process batch) would miss accumulation.

    Raises:
        BatchSplitError: No exact split, or the config contradicts itself (see the messages).
    """
    loader = cfg.get('train_dataloader')
    if not loader or cfg.get('train_cfg') is None:
        return None
    label = protocol_label(cfg)
    task = cfg.get('transfer_task') or {}
    batch = loader.get('batch_size')
    stated = task.get('total_batch_size')
    if stated is None:  # older configs: batch_size per process
        if not isinstance(batch, int) or batch < 1:
            raise BatchSplitError(f'{label}: train_dataloader.batch_size must be a positive integer, got {batch!r}')
        total = batch * world_size
        if max_batch_per_gpu is not None:  # the cap splits the per-process batch only
            split = split_total_batch(batch, 1, max_batch_per_gpu, label)
            split = BatchSplit(total, world_size, split.batch_per_process, split.accumulative_counts, False)
        else:
            split = BatchSplit(total, world_size, batch, 1, False)
    else:
        if batch != stated:
            raise BatchSplitError(
                f'{label}: train_dataloader.batch_size={batch!r} but transfer_task.total_batch_size={stated!r}; '
                'the config states the total batch (images per optimizer step over all GPUs) and the per-GPU '
                'batch is derived from it. To train with another total set both, e.g. --cfg-options '
                f'transfer_task.total_batch_size=N train_dataloader.batch_size=N (and the lr that goes with N).')
        split = split_total_batch(stated, world_size, max_batch_per_gpu, label)
        total = stated
    existing = cfg.get('optim_wrapper', {}).get('accumulative_counts', 1)
    if existing != 1:
        raise BatchSplitError(f'{label}: optim_wrapper.accumulative_counts={existing} is set in the config; '
                              'accumulation follows from the total batch here: use --max-batch-per-gpu instead')
    loader.batch_size = split.batch_per_process
    if split.accumulative_counts > 1:
        _accumulate(cfg, split.accumulative_counts, label)
    _scale_lr_by_total(cfg, total, label)
    if world_size > 1 and cfg.get('sync_bn') is None:
        cfg.sync_bn = 'torch'  # BN statistics over every process's share (GPUs; CPU/gloo keeps BN per process)
    seed_augmentation_by_draw(loader)
    hooks = [h for h in (cfg.get('custom_hooks') or []) if h.get('type') != 'BatchSplitHook']
    cfg.custom_hooks = hooks + [ConfigDict(type='BatchSplitHook', split=split.as_hparams(),
                                           linear_scaling=cfg.get(LINEAR_SCALING_KEY))]
    cfg[BATCH_SPLIT_KEY] = split.as_hparams()
    return split


#: The samplers whose draws :func:`seed_augmentation_by_draw` numbers, and what each becomes.
DRAW_NUMBERED_SAMPLERS = {'InfiniteSampler': 'NumberedDrawSampler', 'NumberedDrawSampler': 'NumberedDrawSampler'}


def seed_augmentation_by_draw(loader: ConfigDict) -> bool:
    """Make a train loader's random augmentation a function of each sample's draw; return whether it applies.

    Applies to an ``InfiniteSampler`` over a dataset with its own ``pipeline``: the sampler becomes
    ``NumberedDrawSampler`` (the same indices) and ``SeedByDraw`` is put first in the pipeline (once).
    """
    sampler, dataset = loader.get('sampler') or {}, loader.get('dataset') or {}
    if sampler.get('type') not in DRAW_NUMBERED_SAMPLERS or dataset.get('pipeline') is None:
        return False
    import mmssl_transfer.datasets.samplers  # noqa: F401  (registers both, whatever the config's custom_imports)
    sampler['type'] = DRAW_NUMBERED_SAMPLERS[sampler['type']]
    pipeline = list(dataset['pipeline'])
    if not pipeline or pipeline[0].get('type') != 'SeedByDraw':
        dataset['pipeline'] = [ConfigDict(type='SeedByDraw'), *pipeline]
    return True


def _accumulate(cfg: Config, accumulate: int, label: str) -> None:
    """Micro-batches per optimizer step: scale the loop's iteration counts, step schedules per update."""
    cfg.optim_wrapper.accumulative_counts = accumulate
    loop = cfg.train_cfg
    loop_type = loop.get('type') or ('EpochBasedTrainLoop' if 'max_epochs' in loop else 'IterBasedTrainLoop')
    loop_type = loop_type if isinstance(loop_type, str) else getattr(loop_type, '__name__', str(loop_type))
    if loop_type not in LOOP_ITERATION_KEYS:
        raise BatchSplitError(f'{label}: gradient accumulation (--max-batch-per-gpu) supports the train loops '
                              f'{", ".join(LOOP_ITERATION_KEYS)}, not {loop_type}')
    for key in LOOP_ITERATION_KEYS[loop_type]:
        if isinstance(loop.get(key), int):
            loop[key] = loop[key] * accumulate
    schedulers = cfg.get('param_scheduler') or []
    for scheduler in schedulers if isinstance(schedulers, (list, tuple)) else [schedulers]:
        if scheduler.get('convert_to_iter_based'):
            raise BatchSplitError(f'{label}: a scheduler with convert_to_iter_based=True counts micro-batches '
                                  'under gradient accumulation; use a per-iteration schedule or no cap')
    hooks = cfg.setdefault('default_hooks', ConfigDict())
    for name, by_epoch_default in ITERATION_INTERVAL_HOOKS.items():
        hook = hooks.get(name)
        if hook and not hook.get('by_epoch', by_epoch_default) and isinstance(hook.get('interval'), int):
            hook.interval = hook.interval * accumulate
    scheduler_hook = hooks.get('param_scheduler')
    if scheduler_hook is not None and scheduler_hook.get('type') not in ('ParamSchedulerHook',
                                                                         'UpdateStepParamSchedulerHook'):
        raise BatchSplitError(f'{label}: gradient accumulation needs the default param_scheduler hook, found '
                              f'{scheduler_hook.get("type")}')
    hooks.param_scheduler = ConfigDict(type='UpdateStepParamSchedulerHook')


def _scale_lr_by_total(cfg: Config, total: int, label: str) -> None:
    """``auto_scale_lr.enable``: lr x total / base_batch_size, done here once (mmengine's is switched off)."""
    auto = cfg.get('auto_scale_lr') or {}
    if not auto.get('enable'):
        return
    base = auto.get('base_batch_size')
    if not base:
        raise BatchSplitError(f'{label}: auto_scale_lr needs base_batch_size')
    optimizer = cfg.optim_wrapper.get('optimizer', {})
    if 'lr' not in optimizer:
        raise BatchSplitError(f'{label}: auto_scale_lr needs optim_wrapper.optimizer.lr')
    ratio = total / base
    cfg.auto_scale_lr = ConfigDict(enable=False, base_batch_size=base, applied_ratio=ratio,
                                   lr_before_scaling=optimizer.lr)
    optimizer.lr = optimizer.lr * ratio
