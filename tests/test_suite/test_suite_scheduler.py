"""Packing cells onto a machine's GPUs (CPU slots here): the packer's choices on toy cells, and the runner
running placed cells side by side, each with its own CUDA_VISIBLE_DEVICES."""
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from mmssl_transfer.suite import load_suite
from mmssl_transfer.suite.commands import RunContext
from mmssl_transfer.suite.matrix import Cell
from mmssl_transfer.suite.runner import SuiteRunner
from mmssl_transfer.suite.scheduler import Packer
from mmssl_transfer.suite.spec import BackboneSpec, SuiteError
from mmssl_transfer.suite.store import DONE

from tests.test_suite.suite_helpers import fake_suite


def _cell(kind: str, dataset: str = 'dtd', backbone: str = 'byol', total: int | None = None) -> Cell:
    options = {'transfer_task.total_batch_size': total} if total else {}
    return Cell(backbone=BackboneSpec(backbone, 'byol', 'toy'), kind=kind, dataset=dataset, protocol='p', grid=(),
                seed=0, data_root='x', checkpoint=f'{backbone}.pth', checkpoint_sha256=f'sha-{backbone}',
                cfg_options=options)


def test_a_cell_alone_gets_the_most_gpus_its_total_batch_splits_over():
    packer = Packer(8)
    assert [packer.gpus_for(_cell(k), free=8, waiting=1) for k in ('det', 'seg', 'normals', 'finetune', 'linear')] \
        == [2, 4, 2, 8, 1]
    three = Packer(3)
    assert three.gpus_for(_cell('det'), free=3, waiting=1) == 2  # a total of 2 is never put on 3 processes
    assert three.gpus_for(_cell('seg', total=6), free=3, waiting=1) == 3
    assert three.gpus_for(_cell('seg'), free=3, waiting=1) == 2


def test_waiting_cells_share_the_machine_and_every_count_splits_the_total_batch():
    cells = [_cell('finetune', 'dtd'), _cell('seg'), _cell('det'), _cell('linear'), _cell('finetune', 'pets')]
    placed = Packer(8).place(cells, list(range(8)), [])
    # five waiting on 8 GPUs: 8 // 5 = 1 for the first, then the share of the four still waiting, ...
    assert [p.gpus for p in placed] == [1, 2, 2, 1, 2]
    placed = Packer(8).place(cells[:3], list(range(8)), [])  # 8 // 3, then 8 // 2 (ADE20K: 4), det: its most, 2
    assert [(p.cell.kind, p.gpus) for p in placed] == [('finetune', 2), ('seg', 4), ('det', 2)]
    assert sorted(d for p in placed for d in p.devices) == list(range(8))  # no device given twice
    for free in range(1, 9):
        for cell in cells:
            n = Packer(8).gpus_for(cell, free=free, waiting=1)
            assert n <= free and cell.total_batch_size % n == 0 if cell.total_batch_size else n == 1


def test_gpus_per_cell_max_parallel_and_shared_features_limit_the_packing():
    cells = [_cell('finetune', 'dtd'), _cell('finetune', 'pets'), _cell('finetune', 'food')]
    assert [p.gpus for p in Packer(8, gpus_per_cell=2).place(cells[:1], range(8), [])] == [2]
    assert len(Packer(8, max_parallel=2).place(cells, list(range(8)), [])) == 2
    assert [p.gpus for p in Packer(8, max_parallel=1).place(cells, list(range(8)), [])] == [8]
    linear, fewshot, other = _cell('linear'), _cell('fewshot'), _cell('linear', backbone='moco')
    placed = Packer(4).place([linear, fewshot, other], list(range(4)), [])
    assert [p.cell for p in placed] == [linear, other]  # fewshot waits for the features linear extracts
    with pytest.raises(SuiteError, match='--max-parallel must be at least 1'):
        Packer(8, max_parallel=0)


def _run(suite: Path, out: Path, packer: Packer):
    console = Console(file=io.StringIO(), width=200)
    return SuiteRunner(load_suite(suite), RunContext(out_dir=out), console=console, packer=packer).run()


def _trace(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_two_slots_run_cells_side_by_side_on_their_own_devices(tmp_path, fake_kind, two_checkpoints, monkeypatch):
    trace = tmp_path / 'trace.jsonl'
    monkeypatch.setenv('FAKE_PROBE_TRACE', str(trace))
    monkeypatch.setenv('FAKE_PROBE_BARRIER', f'{tmp_path / "barrier"}:2')  # met only by two cells running at once
    monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
    report = _run(fake_suite(tmp_path, two_checkpoints, datasets=('dtd',)), tmp_path / 'out', Packer(2))
    assert report.ok and len(report.ran) == 2
    runs = _trace(trace)
    assert [r['barrier_met'] for r in runs] == [True, True]
    assert sorted(r['devices'] for r in runs) == ['0', '1']  # one slot each


def test_a_total_batch_of_two_never_runs_on_three_slots(tmp_path, batch_two_kind, two_checkpoints, monkeypatch):
    trace = tmp_path / 'trace.jsonl'
    monkeypatch.setenv('FAKE_PROBE_TRACE', str(trace))
    monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
    suite = fake_suite(tmp_path, {'byol': two_checkpoints['byol']}, datasets=('dtd',))
    report = _run(suite, tmp_path / 'out', Packer(3))
    assert report.ok
    assert [r['devices'] for r in _trace(trace)] == ['0,1']  # alone: the most it can use, 2 of the 3 slots
    log = next((tmp_path / 'out' / 'logs').glob('*.log')).read_text()
    assert 'on 2 device(s) 0,1' in log
    assert [c.gpu_counts(3) for c in report.cells] == [(1, 2)]
    assert set(report.states.values()) == {DONE}


def _second_runner(suite: Path, out: Path) -> None:
    """A second runner in its own process (forked: it sees the stand-in kind); exit status: the cells it ran."""
    import os
    report = _run(suite, out, Packer(1))
    os._exit(len(report.ran))


def test_two_runners_on_one_store_never_run_the_same_cell(tmp_path, fake_kind, two_checkpoints, monkeypatch):
    import multiprocessing

    from mmssl_transfer.suite.status import cell_statuses
    trace = tmp_path / 'trace.jsonl'
    monkeypatch.setenv('FAKE_PROBE_TRACE', str(trace))
    monkeypatch.setenv('FAKE_PROBE_BARRIER', f'{tmp_path / "barrier"}:2')  # each runner's cell waits for the other's
    suite, out = fake_suite(tmp_path, two_checkpoints, datasets=('dtd',)), tmp_path / 'out'
    other = multiprocessing.get_context('fork').Process(target=_second_runner, args=(suite, out))
    other.start()
    report = _run(suite, out, Packer(1))
    other.join(120)
    assert len(report.ran) + other.exitcode == 2 and len(report.ran) == 1  # one cell each
    runs = _trace(trace)
    assert sorted(r['method'] for r in runs) == ['byol', 'mocov2']  # each cell ran once
    assert [r['barrier_met'] for r in runs] == [True, True]  # at the same time
    assert [s.state for s in cell_statuses(out)] == ['done', 'done']


def test_status_shows_running_cells_and_cancel_leaves_them_interrupted(tmp_path, fake_kind, two_checkpoints,
                                                                       monkeypatch):
    import multiprocessing
    import time

    from mmssl_transfer.results import store_info_file
    from mmssl_transfer.suite.status import INTERRUPTED, QUEUED, RUNNING, cancel, cell_statuses, print_status
    monkeypatch.setenv('FAKE_PROBE_SLEEP', '120')
    suite, out = fake_suite(tmp_path, two_checkpoints, datasets=('dtd',)), tmp_path / 'out'
    runner = multiprocessing.get_context('fork').Process(target=_second_runner, args=(suite, out))
    runner.start()
    deadline = time.time() + 60
    while time.time() < deadline:
        if store_info_file(out).is_file() and RUNNING in [s.state for s in cell_statuses(out)]:
            break
        time.sleep(0.2)
    states = cell_statuses(out)
    assert [s.state for s in states] == [RUNNING, QUEUED]  # one slot: the second waits
    assert states[0].job == str(runner.pid) and states[0].devices == '0' and states[0].elapsed >= 0
    console = Console(file=io.StringIO(), width=300)
    print_status(out, console)
    assert '1 queued, 1 running, 0 interrupted, 0 done, 0 failed' in console.file.getvalue()
    assert cancel(out, console).processes == [runner.pid]
    runner.join(60)
    assert runner.exitcode is not None
    assert [s.state for s in cell_statuses(out)] == [INTERRUPTED, QUEUED]  # the next run resumes it
