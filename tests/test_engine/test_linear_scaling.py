"""The linear scaling rule (mmssl_transfer.engine.linear_scaling) on every dense task's paper protocol, N = 1..16."""
import copy
from pathlib import Path

import pytest
from mmengine.config import Config

from mmssl_transfer.apis import make_result
from mmssl_transfer.apis.variants import load_with_variants
from mmssl_transfer.engine.batch_split import BatchSplitError, apply_total_batch
from mmssl_transfer.engine.linear_scaling import (Schedule, fit_to_processes, scale_schedule, scaling_factor,
                                                  scaling_notice, schedule_of)

REPO = Path(__file__).resolve().parents[2]
#: One config per task family and protocol, with the paper's total batch and schedule type.
TASKS = {'det-frozen': 'configs/det/byol_frozen_voc.py', 'det-finetune': 'configs/det/byol_finetune_voc.py',
         'seg': 'configs/seg/byol_upernet_ade20k.py', 'normals': 'configs/normals/byol_pspnet_nyuv2.py'}
#: The paper's schedules, as their code states them (DESIGN.md, configs/_base_/schedules/).
PAPER = {'det-frozen': Schedule(2, 0.0025, 144000, 100, (96000, 128000)),
         'det-finetune': Schedule(2, 0.0025, 144000, 100, (96000, 128000)),
         'seg': Schedule(4, 0.02, 150000, decay_iters=150000),
         'normals': Schedule(2, 0.02, 13500, decay_iters=13500)}


@pytest.fixture(scope='module')
def configs() -> dict[str, Config]:
    return {task: Config.fromfile(str(REPO / path)) for task, path in TASKS.items()}


def test_the_configs_state_the_papers_schedules(configs):
    assert {task: schedule_of(cfg) for task, cfg in configs.items()} == PAPER


def test_detection_on_8_gpus_is_scaled_by_4():
    assert scaling_factor(2, 8) == 4
    assert scale_schedule(PAPER['det-frozen'], 4) == Schedule(8, 0.01, 36000, 25, (24000, 32000))
    # the README's numbers for the other dense tasks on 8 GPUs
    assert scale_schedule(PAPER['seg'], scaling_factor(4, 8)) == Schedule(8, 0.04, 75000, decay_iters=75000)
    assert scale_schedule(PAPER['normals'], scaling_factor(2, 8)) == Schedule(8, 0.08, 3375, decay_iters=3375)
    assert [scaling_factor(2, n) for n in (1, 2, 8)] == [1, 1, 4]  # 1 and 2 GPUs run the paper's schedule


def test_k_8_gives_the_hand_written_bs16_linear_scaling_variant_but_its_warm_up():
    hand_written = schedule_of(load_with_variants(REPO / TASKS['det-frozen'], ['bs16-linear-scaling']))
    rule = scale_schedule(PAPER['det-frozen'], 8)
    assert (rule.total_batch_size, rule.lr, rule.max_iters, rule.milestones) == (16, 0.02, 18000, (12000, 16000))
    # the variant file keeps detectron2's 100 warm-up iterations; the rule divides them too (100 / 8 -> 12)
    assert hand_written == Schedule(16, 0.02, 18000, 100, (12000, 16000))
    assert hand_written == Schedule(**{**vars(rule), 'warmup_iters': 100})
    assert rule.warmup_iters == 12


@pytest.mark.parametrize('task', TASKS)
def test_every_task_on_1_to_16_gpus_runs_the_smallest_linear_scaling_that_splits(configs, task):
    paper = PAPER[task]
    for world in range(1, 17):
        cfg = copy.deepcopy(configs[task])
        k = fit_to_processes(cfg, world)
        assert paper.total_batch_size * k % world == 0
        assert all(paper.total_batch_size * j % world for j in range(1, k)), (world, k)  # the smallest such k
        assert schedule_of(cfg) == scale_schedule(paper, k)
        split = apply_total_batch(cfg, world)
        assert split.total_batch_size == paper.total_batch_size * k == split.batch_per_process * world
        if k == 1:
            assert cfg.transfer_task.variant == 'paper' and 'linear_scaling' not in cfg
        else:
            assert cfg.transfer_task.variant == f'linear-scaling-x{k}'
            assert cfg.linear_scaling['factor'] == k and cfg.linear_scaling['scaled']['lr'] == paper.lr * k
            # the iteration counts the loop and the hooks use follow the schedule
            assert cfg.param_scheduler[-1]['end'] == cfg.train_cfg.max_iters
            assert cfg.default_hooks.checkpoint.interval <= cfg.train_cfg.max_iters
            hook, = [h for h in cfg.custom_hooks if h['type'] == 'BatchSplitHook']
            assert hook['linear_scaling'] == cfg.linear_scaling


def test_a_variant_run_stays_that_variant_and_gains_the_scaling(configs):
    cfg = load_with_variants(REPO / TASKS['det-frozen'], ['mmdet-ignore-difficult'])
    assert fit_to_processes(cfg, 8) == 4 and cfg.transfer_task.variant == 'mmdet-ignore-difficult+linear-scaling-x4'
    bs16 = load_with_variants(REPO / TASKS['det-frozen'], ['bs16-linear-scaling'])
    assert fit_to_processes(bs16, 8) == 1 and bs16.transfer_task.variant == 'bs16-linear-scaling'


def test_paper_only_refuses_naming_both_ways_forward(configs):
    cfg = copy.deepcopy(configs['det-frozen'])
    with pytest.raises(BatchSplitError) as info:
        fit_to_processes(cfg, 8, paper_only=True)
    message = str(info.value)
    assert '\n' not in message and info.value.same_on_every_rank
    assert 'Run it on a number of GPUs that divides 2 (e.g. 1, 2)' in message
    assert 'without --paper-only to train the schedule linearly scaled by 4 (total batch 8, lr 0.01' in message
    assert cfg.to_dict() == configs['det-frozen'].to_dict()  # nothing was changed
    assert fit_to_processes(copy.deepcopy(configs['seg']), 4, paper_only=True) == 1  # 4 divides 4: no refusal


def test_the_notice_is_one_line_with_the_scaled_schedule_and_how_to_keep_the_papers(configs):
    cfg = copy.deepcopy(configs['seg'])
    fit_to_processes(cfg, 8)
    notice = scaling_notice(cfg, 8)
    assert '\n' not in notice
    assert notice.startswith('seg/ade20k/finetune (')
    assert ('linearly scaled by 2 (total batch 8, lr 0.04, 75000 iterations), recorded as variant '
            'linear-scaling-x2') in notice
    assert 'divides 4 (e.g. 1, 2, 4' in notice and '--max-batch-per-gpu' in notice and '--paper-only' in notice


def test_the_test_record_carries_the_scaled_numbers_and_is_not_the_papers(configs):
    trained = copy.deepcopy(configs['det-frozen'])
    fit_to_processes(trained, 8)
    split = apply_total_batch(trained, 8)
    test_cfg = copy.deepcopy(configs['det-frozen'])  # the test run names no variant
    test_cfg.load_from = 'iter_36000.pth'
    task = dict(test_cfg.transfer_task)
    metrics = {'pascal_voc/AP': 30.0, 'pascal_voc/AP50': 50.0}
    record = make_result(test_cfg, task, metrics, {'method': 'byol', 'sha256': 'x'},
                         train_variant=trained.transfer_task.variant, batch_split=split.as_hparams(),
                         linear_scaling=trained.linear_scaling)
    assert record.paper_protocol is False and record.hparams['variant'] == 'linear-scaling-x4'
    keys = ('total_batch_size', 'world_size', 'batch_size_per_gpu', 'lr', 'max_iters', 'warmup_iters', 'milestones',
            'linear_scaling_factor')
    assert {k: record.hparams[k] for k in keys} == {
        'total_batch_size': 8, 'world_size': 8, 'batch_size_per_gpu': 1, 'lr': 0.01, 'max_iters': 36000,
        'warmup_iters': 25, 'milestones': [24000, 32000], 'linear_scaling_factor': 4}
