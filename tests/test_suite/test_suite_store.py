"""Result store and runner machinery, driven through the real Probe command path with a stand-in tool."""
import io
import json

import pytest
from rich.console import Console

from mmssl_transfer.results import read_result
from mmssl_transfer.suite import load_suite
from mmssl_transfer.suite.commands import RunContext, result_path
from mmssl_transfer.suite.runner import SuiteRunner
from mmssl_transfer.suite.store import DONE, FAILED, INTERRUPTED, ResultStore, StoreError

from tests.test_suite.suite_helpers import fake_suite


def _runner(suite_path, out, retry_failed=False):
    console = Console(file=io.StringIO(), width=200)
    return SuiteRunner(load_suite(suite_path), RunContext(out_dir=out), retry_failed=retry_failed,
                       console=console)


def test_a_failing_cell_is_recorded_and_the_other_cells_still_finish(tmp_path, fake_kind, two_checkpoints):
    suite = fake_suite(tmp_path, two_checkpoints, datasets=('dtd', 'eurosat'),
                       data_roots={'eurosat': str(tmp_path / 'missing')})
    runner = _runner(suite, tmp_path / 'out')
    report = runner.run()
    states = report.counts
    assert states == {DONE: 2, FAILED: 2}  # both backbones finish on dtd; every eurosat cell fails
    assert not report.ok
    failure = runner.store.failures()[0]
    first, *_ = failure['error'].splitlines()  # the tool's own line, then the log's tail
    assert first == (f'{fake_kind.runner.tool} failed on bad input: fake_probe.py: error: {tmp_path / "missing"}: '
                     'dataset folder not found')
    assert f"last lines of {failure['log']}:" in failure['error']
    assert failure['returncode'] == 2
    out = runner.console.file.getvalue()
    assert 'failed cells (rerun with --retry-failed)' in out and 'eurosat' in out


def test_a_second_run_does_no_work_and_retry_failed_reruns_only_failures(tmp_path, fake_kind, two_checkpoints):
    suite = fake_suite(tmp_path, two_checkpoints, data_roots={'eurosat': str(tmp_path / 'missing')})
    first = _runner(suite, tmp_path / 'out').run()
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / 'out' / 'results').glob('*.json')}
    second = _runner(suite, tmp_path / 'out').run()
    assert second.ran == [] and second.counts == first.counts
    assert stamps == {p: p.stat().st_mtime_ns for p in (tmp_path / 'out' / 'results').glob('*.json')}
    (tmp_path / 'missing').mkdir()  # fix the data, then retry the failures only
    third = _runner(suite, tmp_path / 'out', retry_failed=True).run()
    assert sorted(third.ran) == sorted(c for c, s in first.states.items() if s == FAILED)
    assert third.ok and not list((tmp_path / 'out' / 'failed').glob('*.json'))


def test_an_interrupted_cell_is_never_read_as_finished_and_runs_again(tmp_path, fake_kind, two_checkpoints):
    suite = fake_suite(tmp_path, two_checkpoints, datasets=('dtd',))
    runner = _runner(suite, tmp_path / 'out')
    cells = runner.plan()
    victim = cells[0]
    # what a kill right after the tool wrote its own JSON leaves behind: RUNNING marker + the tool's result
    runner.store.mark_running(victim, ['python fake_probe.py'])
    stale = result_path(runner.ctx, victim)
    stale.write_text(json.dumps({'task': 'fewshot'}))
    assert runner.store.state(victim) == INTERRUPTED
    assert runner.store.finished_result(victim.cell_id) is None
    report = runner.run()
    assert victim.cell_id in report.ran and report.ok
    assert read_result(runner.store.result_file(victim.cell_id)).extra['suite']['cell_id'] == victim.cell_id


def test_one_runner_at_a_time_plans_into_a_store_and_one_holds_a_cell(tmp_path):
    first, second = ResultStore(tmp_path), ResultStore(tmp_path)
    first.lock()
    try:
        with pytest.raises(StoreError, match='another suite run is writing this output folder'):
            second.lock()
    finally:
        first.unlock()
    second.lock()
    second.unlock()
    handle = first.lock_cell('a')
    assert second.lock_cell('a') is None and second.cell_is_locked('a')
    first.unlock_cell(handle)
    assert not second.cell_is_locked('a')
    second.unlock_cell(second.lock_cell('a'))


def test_finished_results_carry_the_cell_key_backbone_and_log(tmp_path, fake_kind, two_checkpoints):
    suite = fake_suite(tmp_path, two_checkpoints, datasets=('dtd',))
    runner = _runner(suite, tmp_path / 'out')
    runner.run()
    results = list(runner.store.results())
    assert {r.extra['suite']['backbone'] for r in results} == {'byol', 'mocov2'}
    for r in results:
        info = r.extra['suite']
        assert info['key']['dataset'] == 'dtd' and info['key']['checkpoint_sha256']
        assert 'fake probe: accuracy=' in open(info['log']).read()


def test_a_suite_whose_cells_failed_on_bad_input_says_the_first_ones_line_and_a_crash_does_not(
        tmp_path, fake_kind, two_checkpoints, monkeypatch):
    """Every unfinished cell refused its input: the suite's one line names the first one's log and ends with its
    tool's line (run_suite.py exits 2 with it). One crashed cell (a bug) among them: no such line (exit 1)."""
    suite = fake_suite(tmp_path, two_checkpoints, datasets=('dtd', 'eurosat'),
                       data_roots={'eurosat': str(tmp_path / 'missing')})
    runner = _runner(suite, tmp_path / 'out')
    report = runner.run()
    line = runner.bad_input_failure(report)
    failed = next(c for c in report.cells if report.states[c.cell_id] == FAILED)
    assert line == (f'{runner.store.log_file(failed.cell_id)}: {fake_kind.runner.tool} failed on bad input: '
                    f"fake_probe.py: error: {tmp_path / 'missing'}: dataset folder not found")
    assert runner.bad_input_failure(_runner(fake_suite(tmp_path / 'ok', two_checkpoints, datasets=('dtd',)),
                                            tmp_path / 'ok' / 'out').run()) is None  # all done
    monkeypatch.setenv('FAKE_PROBE_CRASH', 'dtd')
    crashed = _runner(suite, tmp_path / 'crash')
    report = crashed.run()
    assert report.counts == {FAILED: 4}
    assert {f['returncode'] for f in crashed.store.failures()} == {1, 2}
    assert crashed.bad_input_failure(report) is None
    assert any('exited with code 1' in f['error'] and 'a bug in the probe' in f['error']
               for f in crashed.store.failures())
