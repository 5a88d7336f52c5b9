"""The linear scaling rule (mmssl_transfer.engine.linear_scaling) on every dense task's paper protocol, N = 1..16.

The paper's schedules come from the table of tasks (mmssl_transfer.tasks: the det/seg/normals rows' paper
settings); the configs state the same numbers, and the rule on the table gives the hand-written 8-GPU variant."""
import copy
from pathlib import Path

import pytest
from mmengine.config import Config

from mmssl_transfer.apis import make_result
from mmssl_transfer.apis.variants import load_with_variants
from mmssl_transfer.engine.batch_split import BatchSplitError, apply_total_batch
from mmssl_transfer.engine.linear_scaling import (Schedule, fit_to_processes, paper_schedule, scale_schedule,
                                                  scaled_paper_schedule, scaling_factor, scaling_notice, schedule_of)
from mmssl_transfer.tasks import TASKS as TASK_TABLE

REPO = Path(__file__).resolve().parents[2]
#: One config per task family and protocol, with the paper's total batch and schedule type.
TASKS = {'det-frozen': 'configs/det/byol_frozen_voc.py', 'det-finetune': 'configs/det/byol_finetune_voc.py',
         'seg': 'configs/seg/byol_upernet_ade20k.py', 'normals': 'configs/normals/byol_pspnet_nyuv2.py',
         'depth': 'configs/depth/byol_pspnet_nyuv2_depth.py'}
#: The row of the table of tasks each config belongs to.
ROW = {'det-frozen': 'det', 'det-finetune': 'det', 'seg': 'seg', 'normals': 'normals', 'depth': 'depth'}
#: The paper's schedules, from the table of tasks (each setting cites the paper's code).
PAPER = {key: paper_schedule(row) for key, row in ROW.items()}
BS16 = 'bs16-linear-scaling'


@pytest.fixture(scope='module')
def configs() -> dict[str, Config]:
    return {task: Config.fromfile(str(REPO / path)) for task, path in TASKS.items()}


def test_the_table_states_every_dense_tasks_schedule_and_the_configs_state_the_same(configs):
    """The det/seg/normals rows of tasks.py hold the whole schedule the rule scales (the paper's code's numbers)."""
    assert {row for row, spec in TASK_TABLE.items() if spec.family == 'train_test'} == set(ROW.values())
    assert PAPER['det-frozen'] == Schedule(2, 0.0025, 144000, 100, (96000, 128000))  # detectron2 SOLVER block
    assert PAPER['seg'] == Schedule(4, 0.02, 150000, decay_iters=150000)  # poly to 0 over 30 x 5000
    assert PAPER['normals'] == Schedule(2, 0.02, 13500, decay_iters=13500)  # poly to 0 over 150 x 90
    assert PAPER['depth'] == PAPER['normals']  # not in the paper: trained on the normals schedule it borrows
    assert {task: schedule_of(cfg) for task, cfg in configs.items()} == PAPER


@pytest.mark.parametrize('row', [n for n, s in TASK_TABLE.items() if s.family == 'probe'])
def test_rows_without_one_schedule_have_nothing_to_scale(row):
    with pytest.raises(ValueError, match=f'{row}: its paper settings state no schedule to scale'):
        paper_schedule(row)


def test_detection_on_8_gpus_is_scaled_by_4():
    assert scaling_factor(2, 8) == 4
    assert scale_schedule(PAPER['det-frozen'], 4) == Schedule(8, 0.01, 36000, 25, (24000, 32000))
    # the README's numbers for the other dense tasks on 8 GPUs
    assert scale_schedule(PAPER['seg'], scaling_factor(4, 8)) == Schedule(8, 0.04, 75000, decay_iters=75000)
    assert scale_schedule(PAPER['normals'], scaling_factor(2, 8)) == Schedule(8, 0.08, 3375, decay_iters=3375)
    assert [scaling_factor(2, n) for n in (1, 2, 8)] == [1, 1, 4]  # 1 and 2 GPUs run the paper's schedule


def test_k_8_gives_the_hand_written_bs16_linear_scaling_variant_but_its_warm_up():
    hand_written = schedule_of(load_with_variants(REPO / TASKS['det-frozen'], [BS16]))
    rule = scale_schedule(PAPER['det-frozen'], 8)
    assert (rule.total_batch_size, rule.lr, rule.max_iters, rule.milestones) == (16, 0.02, 18000, (12000, 16000))
    # the variant file keeps detectron2's 100 warm-up iterations; the rule divides them too (100 / 8 -> 12)
    assert hand_written == Schedule(16, 0.02, 18000, 100, (12000, 16000))
    assert hand_written == Schedule(**{**vars(rule), 'warmup_iters': 100})
    assert rule.warmup_iters == 12


@pytest.mark.parametrize('protocol', ['frozen', 'finetune'])
def test_the_tables_det_numbers_scale_to_what_the_hand_written_variant_says(protocol):
    """The det row's paper settings, scaled by the bs16 variant's own factor, are that file's numbers (total batch,
    lr, iterations, milestones; its warm-up stays detectron2's 100), on both det protocols."""
    config = REPO / TASK_TABLE['det'].runner.config.format(method='byol', protocol=protocol)
    variant = load_with_variants(config, [BS16])
    hand_written = schedule_of(variant)
    row = TASK_TABLE['det'].paper_settings
    k = variant.transfer_task.total_batch_size // row['total_batch_size']
    assert k == 8 and variant.transfer_task.total_batch_size == row['total_batch_size'] * k
    assert hand_written.lr == pytest.approx(row['lr'] * k)
    assert hand_written.max_iters == row['max_iters'] // k
    assert hand_written.milestones == tuple(m // k for m in row['milestones'])
    assert hand_written.warmup_iters == row['warmup_iters']
    # 16 GPUs need the same k from the table: the rule's schedule is the variant's but for the warm-up
    assert scaled_paper_schedule('det', 16) == (8, Schedule(**{**vars(hand_written), 'warmup_iters': 12}))
    assert scaled_paper_schedule('det', 8) == (4, Schedule(8, 0.01, 36000, 25, (24000, 32000)))


@pytest.mark.parametrize('row', sorted(set(ROW.values())))
def test_the_tables_schedule_on_1_to_16_gpus(row):
    """The table's function: the smallest k whose total the GPUs split, and the rule applied to the row."""
    paper = paper_schedule(row)
    for world in range(1, 17):
        k, scaled = scaled_paper_schedule(row, world)
        assert paper.total_batch_size * k % world == 0
        assert all(paper.total_batch_size * j % world for j in range(1, k)), (world, k)
        assert scaled == scale_schedule(paper, k) and (k > 1 or scaled == paper)
        assert scaled.lr == pytest.approx(paper.lr * k) and scaled.total_batch_size == paper.total_batch_size * k


@pytest.mark.parametrize('task', TASKS)
def test_every_task_on_1_to_16_gpus_runs_the_smallest_linear_scaling_that_splits(configs, task):
    paper = PAPER[task]
    for world in range(1, 17):
        cfg = copy.deepcopy(configs[task])
        k = fit_to_processes(cfg, world)
        assert paper.total_batch_size * k % world == 0
        assert all(paper.total_batch_size * j % world for j in range(1, k)), (world, k)  # the smallest such k
        assert (k, schedule_of(cfg)) == scaled_paper_schedule(ROW[task], world)  # the config follows the table
        split = apply_total_batch(cfg, world)
        assert split.total_batch_size == paper.total_batch_size * k == split.batch_per_process * world
        default = TASK_TABLE[ROW[task]].default_variant  # 'paper', or depth's 'normals-protocol'
        if k == 1:
            assert cfg.transfer_task.variant == default and 'linear_scaling' not in cfg
        else:
            scaled = f'linear-scaling-x{k}'
            assert cfg.transfer_task.variant == (scaled if default == 'paper' else f'{default}+{scaled}')
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
    k, table = scaled_paper_schedule('det', 8)  # the record's numbers are the table's, scaled
    assert record.hparams['linear_scaling_factor'] == k
    assert {key: record.hparams[key] for key in ('total_batch_size', 'lr', 'max_iters', 'warmup_iters')} == {
        'total_batch_size': table.total_batch_size, 'lr': table.lr, 'max_iters': table.max_iters,
        'warmup_iters': table.warmup_iters}
    assert record.config == str(test_cfg.filename) and record.task == 'det'


def test_the_scaled_record_is_built_by_make_record(configs, monkeypatch):
    """make_result hands the scaled run to results.make_record (the one record builder), with its variant."""
    import mmssl_transfer.apis.runs as runs
    from mmssl_transfer import results

    calls = []

    def spy(*args, **kwargs):
        calls.append((args, kwargs))
        return results.make_record(*args, **kwargs)
    monkeypatch.setattr(runs, 'make_record', spy)
    trained = copy.deepcopy(configs['seg'])
    fit_to_processes(trained, 8)
    test_cfg = copy.deepcopy(configs['seg'])
    test_cfg.load_from = 'iter_75000.pth'
    record = make_result(test_cfg, dict(test_cfg.transfer_task), {'mIoU': 0.3}, {'method': 'byol', 'sha256': 'x'},
                         train_variant=trained.transfer_task.variant, linear_scaling=trained.linear_scaling)
    (args, kwargs), = calls
    assert args[0] == 'seg' and kwargs['variant'] == 'linear-scaling-x2'
    assert record.paper_protocol is False and record.hparams['variant'] == 'linear-scaling-x2'
    # a checkpoint without its split (trained elsewhere) still records the scaled total batch, not the config's
    assert (record.hparams['total_batch_size'], record.hparams['lr'], record.hparams['max_iters']) == (8, 0.04, 75000)
