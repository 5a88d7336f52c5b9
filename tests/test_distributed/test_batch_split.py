"""The total-batch mechanism: total = processes x per-process batch x accumulation, or a clear refusal."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmssl_transfer.engine.batch_split import BatchSplit, BatchSplitError, apply_total_batch, split_total_batch

from .conftest import REPO

DET = REPO / 'configs' / 'det' / 'byol_frozen_voc.py'


@pytest.mark.parametrize('total, world, cap, per_process, accumulate', [
    (64, 1, None, 64, 1), (64, 2, None, 32, 1), (64, 8, None, 8, 1),      # the finetune protocol on 1, 2, 8 GPUs
    (64, 1, 16, 16, 4), (64, 2, 16, 16, 2), (64, 8, 4, 4, 2), (64, 8, 8, 8, 1), (64, 8, 100, 8, 1),
    (16, 8, None, 2, 1), (16, 8, 1, 1, 2), (2, 1, None, 2, 1), (2, 2, None, 1, 1), (2, 1, 1, 1, 2),
    (24, 2, 5, 4, 3),  # share 12 under a cap of 5: the fewest micro-batches that divide it exactly (3 x 4)
])
def test_split_on_1_2_8_processes_with_and_without_a_per_gpu_cap(total, world, cap, per_process, accumulate):
    split = split_total_batch(total, world, cap)
    assert (split.batch_per_process, split.accumulative_counts) == (per_process, accumulate)
    assert split.world_size * split.batch_per_process * split.accumulative_counts == split.total_batch_size == total


def test_a_total_the_processes_cannot_share_is_refused_with_what_to_do():
    with pytest.raises(BatchSplitError) as info:
        split_total_batch(2, 8, protocol='normals/nyuv2/frozen')
    message = str(info.value)
    assert message.startswith('normals/nyuv2/frozen: its total batch of 2 images per optimizer step cannot be '
                              'split evenly over 8 processes (GPUs)')
    assert 'a number of GPUs that divides 2 (e.g. 1, 2)' in message and '--max-batch-per-gpu' in message
    with pytest.raises(BatchSplitError, match='12 images per optimizer step cannot be split evenly over 8'):
        split_total_batch(12, 8)
    with pytest.raises(BatchSplitError, match='--max-batch-per-gpu must be a positive integer, got 0'):
        split_total_batch(8, 1, 0)


def _det(total: int | None = 16, **options) -> Config:
    cfg = Config.fromfile(str(DET))
    if total is not None:
        cfg.merge_from_dict({'transfer_task.total_batch_size': total, 'train_dataloader.batch_size': total})
    cfg.merge_from_dict(options)
    return cfg


def test_a_stated_total_sets_the_per_process_batch_and_records_the_split():
    cfg = _det(16)
    split = apply_total_batch(cfg, world_size=8)
    assert split == BatchSplit(16, 8, 2, 1)
    assert cfg.train_dataloader.batch_size == 2 and cfg.optim_wrapper.get('accumulative_counts', 1) == 1
    assert cfg.sync_bn == 'torch'  # BatchNorm statistics over every process's share
    assert cfg.train_cfg.max_iters == _det().train_cfg.max_iters  # no accumulation: the schedule is untouched
    hook, = [h for h in cfg.custom_hooks if h['type'] == 'BatchSplitHook']
    assert hook['split'] == split.as_hparams() == cfg.batch_split
    one = _det(16)
    assert apply_total_batch(one, world_size=1) == BatchSplit(16, 1, 16, 1) and 'sync_bn' not in one


def test_a_per_gpu_cap_accumulates_and_counts_iterations_in_micro_batches():
    cfg, plain = _det(16), _det(16)
    split = apply_total_batch(cfg, world_size=8, max_batch_per_gpu=1)
    assert (split.batch_per_process, split.accumulative_counts) == (1, 2)
    assert cfg.train_dataloader.batch_size == 1 and cfg.optim_wrapper.accumulative_counts == 2
    for key in ('max_iters', 'val_interval'):
        assert cfg.train_cfg[key] == 2 * plain.train_cfg[key]
    assert cfg.default_hooks.checkpoint.interval == 2 * plain.default_hooks.checkpoint.interval
    assert cfg.default_hooks.logger.interval == 2 * plain.default_hooks.logger.interval
    assert cfg.default_hooks.param_scheduler.type == 'UpdateStepParamSchedulerHook'
    assert cfg.param_scheduler == plain.param_scheduler  # written in optimizer updates, stepped per update


def _without_a_stated_total(batch_size: int) -> Config:
    """The det config as an older config: ``batch_size`` per process, no ``transfer_task.total_batch_size``."""
    cfg = _det(None, **{'train_dataloader.batch_size': batch_size})
    cfg.transfer_task.pop('total_batch_size')
    assert 'total_batch_size' not in cfg.transfer_task
    return cfg


def test_configs_without_a_stated_total_keep_a_per_process_batch():
    cfg = _without_a_stated_total(2)
    split = apply_total_batch(cfg, world_size=8)
    assert split == BatchSplit(16, 8, 2, 1, total_stated=False) and cfg.train_dataloader.batch_size == 2
    capped = _without_a_stated_total(2)
    assert apply_total_batch(capped, world_size=8, max_batch_per_gpu=1) == BatchSplit(16, 8, 1, 2, False)
    assert capped.train_dataloader.batch_size == 1 and capped.optim_wrapper.accumulative_counts == 2


def test_contradicting_settings_are_refused():
    with pytest.raises(BatchSplitError, match=r'train_dataloader.batch_size=2 but transfer_task.total_batch_size=16'):
        apply_total_batch(_det(None, **{'transfer_task.total_batch_size': 16}), world_size=1)
    with pytest.raises(BatchSplitError, match='det/voc0712/frozen .*byol_frozen_voc.py.*cannot be split evenly'):
        apply_total_batch(_det(16), world_size=3)
    with pytest.raises(BatchSplitError, match='accumulative_counts=4 is set in the config'):
        apply_total_batch(_det(16, **{'optim_wrapper.accumulative_counts': 4}), world_size=1)


def test_auto_scale_lr_scales_by_the_total_once_and_mmengine_does_not_rescale():
    paper = Config.fromfile(str(DET))
    lr, base = paper.optim_wrapper.optimizer.lr, paper.auto_scale_lr.base_batch_size
    assert (lr, base) == (0.0025, 2)  # the paper's detection schedule: lr 0.0025 for a total batch of 2
    cfg = _det(8, **{'auto_scale_lr.enable': True})
    apply_total_batch(cfg, world_size=2, max_batch_per_gpu=2)  # 2 processes x 2 images x 2 micro-batches
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(lr * 8 / base)  # total / base_batch_size, not 4 / base
    assert cfg.auto_scale_lr.enable is False and cfg.auto_scale_lr.applied_ratio == 4.0
    assert cfg.auto_scale_lr.lr_before_scaling == lr
    untouched = _det(8)
    apply_total_batch(untouched, world_size=2)
    assert untouched.optim_wrapper.optimizer.lr == lr and not untouched.auto_scale_lr.enable


def _cls_config(out: Path, toy_cls_root: Path, max_iters: int = 3) -> Path:
    """A toy finetune config (mocov2 width 8, 32 px, centre crop) whose BatchNorm uses running statistics, so that
    micro-batches and whole batches see the same normalisation."""
    from mmssl_transfer.probes.finetune import GridPoint, SweepOptions, finetune_config, point_config
    opts = SweepOptions(config=finetune_config('dtd'), work_dir=str(out), max_iters=max_iters, image_size=32,
                        base_channels=8, num_workers=0, method='mocov2', data_root=str(toy_cls_root))
    cfg = point_config(Config.fromfile(opts.config), opts, GridPoint(0.1, 1e-4, 'center_crop'), final=True)
    cfg.merge_from_dict({'model.backbone.norm_eval': True, 'randomness': dict(seed=0),
                         'transfer_task.total_batch_size': 4, 'train_dataloader.batch_size': 4})
    cfg.dump(str(out / 'cls.py'))
    return out / 'cls.py'


def test_accumulated_micro_batches_train_the_same_model_as_the_whole_batch(tmp_path, toy_dist_world):
    """4 images per step as 1 x 4 and as 2 micro-batches of 2: same updates, same cosine lr per update."""
    from mmssl_transfer import apis
    config = _cls_config(tmp_path, toy_dist_world['cls'] / 'dtd')
    ckpt = str(toy_dist_world['checkpoints'] / 'mocov2.pth.tar')
    states, lrs = {}, {}
    for cap in (None, 2):
        work_dir = tmp_path / f'cap{cap}'
        runner = apis.train(apis.load_config(str(config), work_dir=str(work_dir), checkpoint=ckpt), cap)
        last = Path((work_dir / 'last_checkpoint').read_text().strip())
        saved = torch.load(last, map_location='cpu', weights_only=False)
        assert saved['meta']['batch_split'] == runner.message_hub.get_info('batch_split')
        states[cap], lrs[cap] = saved, list(runner.message_hub.get_scalar('train/lr').data[0])
    assert states[None]['meta']['batch_split'] == BatchSplit(4, 1, 4, 1).as_hparams()
    assert states[2]['meta']['batch_split'] == BatchSplit(4, 1, 2, 2).as_hparams()
    assert states[2]['meta']['iter'] == 2 * states[None]['meta']['iter'] == 6  # micro-batches
    assert len(set(lrs[None])) == 3  # cosine: a new lr at every update ...
    assert lrs[2][0::2] == lrs[2][1::2] == lrs[None]  # ... and the same one for both micro-batches of an update
    whole, micro = states[None]['state_dict'], states[2]['state_dict']
    changed = [k for k in whole if whole[k].is_floating_point() and 'running' not in k]
    for key in changed:
        torch.testing.assert_close(micro[key], whole[key], rtol=1e-4, atol=1e-6, msg=key)
