"""Hooks of the total-batch mechanism (:mod:`mmssl_transfer.engine.batch_split`).

- :class:`BatchSplitHook` checks, when training starts, that the run's process group and data loader are the
  ones the config was split for, records the split (total batch, processes, per-process batch, accumulation)
  in every saved checkpoint's ``meta['batch_split']`` and publishes it (also after a checkpoint load, i.e. in
  a test run) as the message-hub info ``'batch_split'``, from which the test result's hparams are written; a
  linearly scaled schedule (:mod:`~mmssl_transfer.engine.linear_scaling`) travels the same way, as
  ``'linear_scaling'``.
- :class:`UpdateStepParamSchedulerHook` steps iteration-based parameter schedulers once per optimizer update:
  under gradient accumulation an iteration is a micro-batch, and the schedule is written in updates.
"""
from __future__ import annotations

from typing import Any

from mmengine.hooks import Hook, ParamSchedulerHook
from mmengine.registry import HOOKS

from ..batch_split import BATCH_SPLIT_KEY, LINEAR_SCALING_KEY


@HOOKS.register_module()
class BatchSplitHook(Hook):
    """Check and record how the total batch of a training run was split over processes.

    Args:
        split: :meth:`BatchSplit.as_hparams` of the run; None in a test-only run (the hook then publishes the
            split recorded in the loaded checkpoint, if any).
        linear_scaling: The run's linear scaling (factor, the paper's and the scaled schedule); None: not scaled.
    """

    priority = 'VERY_LOW'

    def __init__(self, split: dict[str, Any] | None = None, linear_scaling: dict[str, Any] | None = None) -> None:
        self.split = dict(split) if split else None
        # plain dicts and lists (a ConfigDict in checkpoint meta would need a full unpickler to load)
        self.linear_scaling = _plain(linear_scaling) if linear_scaling else None

    def before_train(self, runner) -> None:
        if self.split is None:
            return
        loader = runner.train_dataloader
        sampler = getattr(loader, 'batch_sampler', None)  # mmdet's AspectRatioBatchSampler holds the batch size
        batch = getattr(loader, 'batch_size', None) or getattr(sampler, 'batch_size', None)
        found = {'world_size': runner.world_size, 'batch_per_process': batch,
                 'accumulative_counts': getattr(runner.optim_wrapper, '_accumulative_counts', 1)}
        wrong = {k: v for k, v in found.items() if v != self.split[k]}
        if wrong:
            raise RuntimeError(f'the config was split for {self.split} but the run has {found}: build the config '
                               'with mmssl_transfer.apis.train (or apply_total_batch) in the processes that run it')
        runner.message_hub.update_info(BATCH_SPLIT_KEY, dict(self.split))
        if self.linear_scaling:
            runner.message_hub.update_info(LINEAR_SCALING_KEY, dict(self.linear_scaling))
            runner.logger.info(f'the paper\'s schedule {self.linear_scaling["paper"]} linearly scaled by '
                               f'{self.linear_scaling["factor"]}: {self.linear_scaling["scaled"]}')
        runner.logger.info('total batch {total_batch_size} = {world_size} processes x {batch_per_process} images '
                           'x {accumulative_counts} accumulated micro-batches'.format(**self.split))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        split = self.split or runner.message_hub.get_info(BATCH_SPLIT_KEY)
        if split:
            checkpoint.setdefault('meta', {})[BATCH_SPLIT_KEY] = dict(split)
        scaling = self.linear_scaling or runner.message_hub.get_info(LINEAR_SCALING_KEY)
        if scaling:
            checkpoint.setdefault('meta', {})[LINEAR_SCALING_KEY] = dict(scaling)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta') or {}
        for key in (BATCH_SPLIT_KEY, LINEAR_SCALING_KEY):
            if meta.get(key):
                runner.message_hub.update_info(key, dict(meta[key]))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value


@HOOKS.register_module()
class UpdateStepParamSchedulerHook(ParamSchedulerHook):
    """mmengine's ParamSchedulerHook, but iteration-based schedulers step after optimizer updates only.

    With ``optim_wrapper.accumulative_counts = a`` the optimizer steps every a-th iteration; stepping the
    schedulers there too keeps a schedule written in updates (warm-up length, milestones, cosine period) exact.
    Epoch-based schedulers step per epoch as before.
    """

    def after_train_iter(self, runner, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        should_update = getattr(runner.optim_wrapper, 'should_update', None)
        if should_update is None or should_update():
            super().after_train_iter(runner, batch_idx, data_batch, outputs)
