"""The cost plan's arithmetic: work per cell from its protocol (and its overrides), GPU-hours from the step-time
table, the wall clock from replaying the packer."""
import io

import pytest
from rich.console import Console

from mmssl_transfer.suite.matrix import Cell
from mmssl_transfer.suite.plan import StepTime, cell_costs, load_step_times, packed_wall_seconds, print_plan
from mmssl_transfer.suite.scheduler import Packer
from mmssl_transfer.suite.spec import BackboneSpec
from mmssl_transfer.tasks import TASKS

TABLE = [StepTime('det', 'V100', 'step', 0.36, False, 'published'),
         StepTime('det', 'H100', 'step', 0.18, True, 'benchmarks/det_step.py --full'),
         StepTime('finetune', 'V100', 'step', 0.9, False, 'published'),
         StepTime('linear', 'V100', 'cell', 720.0, False, 'assumed')]


def _cell(kind, dataset='dtd', cfg_options=None, args=()):
    return Cell(backbone=BackboneSpec('byol', 'byol', 'toy'), kind=kind, dataset=dataset, protocol='p', grid=(),
                seed=0, data_root='x', checkpoint='b.pth', checkpoint_sha256='sha', cfg_options=cfg_options or {},
                args=tuple(args))


def test_work_and_gpu_hours_follow_the_protocol_and_the_table():
    det = _cell('det')  # the paper's 144k iterations
    short = _cell('det', cfg_options={'train_cfg.max_iters': 1000})
    sweep = _cell('finetune')  # 4 lrs x 5 wds x 5000 steps
    small = _cell('finetune', args=['--lrs', '0.1', '0.01', '--wds', '0', '--max-iters', '10'])
    linear = _cell('linear')
    costs = cell_costs([det, short, sweep, small, linear], 'V100', TABLE)
    assert [c.work for c in costs] == [144000, 1000, 20 * 5000, 2 * 10, 1]
    assert [round(c.gpu_hours, 4) for c in costs] == [14.4, 0.1, 25.0, 0.005, 0.2]
    assert costs[0].basis == 'not measured (V100)'
    h100 = cell_costs([det, linear], 'H100', TABLE)
    assert h100[0].entry.seconds == 0.18 and h100[0].basis == 'measured on H100'
    assert h100[1].basis == 'not measured (V100), extrapolated to H100'
    assert TASKS['det'].paper_settings['max_iters'] == 144000


def test_the_wall_clock_replays_the_packing():
    det = _cell('det', cfg_options={'train_cfg.max_iters': 100})  # 36 s on one GPU, 18 s on two
    linears = [_cell('linear', dataset=d) for d in ('dtd', 'pets')]  # 720 s each, one GPU each
    costs = cell_costs([det] + linears, 'V100', TABLE)
    # two GPUs, three waiting: det gets 1 (36 s), linear dtd 1 (720 s); linear pets starts at 36 s on the freed GPU
    assert packed_wall_seconds(costs, Packer(2)) == 36 + 720
    assert packed_wall_seconds(costs[:1], Packer(2)) == 18  # alone: both GPUs, the total batch of 2 split
    assert packed_wall_seconds(costs, Packer(1)) == 36 + 720 + 720
    console = Console(file=io.StringIO(), width=300)
    totals = print_plan(costs, Packer(2), console)
    assert totals == {'cells': 3, 'gpu_hours': pytest.approx((36 + 1440) / 3600), 'wall_seconds': 756}
    text = console.file.getvalue()
    assert 'packed onto 2 GPUs' in text and 'not measured (V100)' in text


def test_the_shipped_table_prices_every_task_and_names_its_source():
    table = load_step_times()
    assert {e.task for e in table} == set(TASKS)
    assert all(e.source and e.seconds > 0 and e.unit in ('step', 'cell') for e in table)
