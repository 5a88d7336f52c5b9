"""The suite driving the real tools on toy data: a 2-backbone x 3-task suite runs, a second run does no work,
and a run killed with SIGKILL mid-suite resumes to the same results as the uninterrupted run."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mmssl_transfer.results import read_result

from tests.test_suite.suite_helpers import REPO, write_suite

PROBE_ARGS = ['--image-size', '32', '--workers', '0', '--batch-size', '32']


def _suite_data(toy_checkpoints, data: Path, tasks: list) -> dict:
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    return {'name': 'real', 'data_roots': {'dtd': str(data / 'dtd'), 'eurosat': str(data / 'eurosat')},
            'backbones': [{'name': m, 'method': m, 'checkpoint': str(toy_checkpoint_path(toy_checkpoints, m)),
                           'args': ['--base-channels', '8']} for m in ('byol', 'mocov2')],
            'tasks': tasks}


LINEAR_DTD = {'kind': 'linear', 'datasets': ['dtd'], 'args': PROBE_ARGS + ['--grid-size', '5']}
FEWSHOT_DTD = {'kind': 'fewshot', 'datasets': ['dtd'], 'shots': [5], 'args': PROBE_ARGS + ['--episodes', '50']}
FEWSHOT_EUROSAT = {**FEWSHOT_DTD, 'datasets': ['eurosat']}


@pytest.fixture(scope='module')
def toy_cls(tmp_path_factory) -> Path:
    from mmssl_transfer.toy import make_toy
    return make_toy('classification', tmp_path_factory.mktemp('data'), seed=0, datasets=('dtd', 'eurosat'),
                    num_classes=5)


@pytest.fixture(scope='module')
def real_suite(tmp_path_factory, toy_checkpoints, toy_cls) -> Path:
    """byol + mocov2 toy checkpoints x (linear DTD, 5-shot DTD, 5-shot EuroSAT) on toy data."""
    return write_suite(tmp_path_factory.mktemp('real_suite'),
                       _suite_data(toy_checkpoints, toy_cls, [LINEAR_DTD, FEWSHOT_DTD, FEWSHOT_EUROSAT]))


def run_suite(suite: Path, out: Path, *extra: str, **popen) -> subprocess.CompletedProcess | subprocess.Popen:
    argv = [sys.executable, str(REPO / 'tools' / 'run_suite.py'), str(suite), '--out', str(out), *extra]
    env = {**os.environ, 'PYTHONPATH': str(REPO), 'COLUMNS': '200'}
    if popen:
        return subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True, **popen)
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def metrics(out: Path) -> dict[str, dict]:
    return {p.stem: read_result(p).metrics for p in sorted((out / 'results').glob('*.json'))}


@pytest.fixture(scope='module')
def uninterrupted(real_suite, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp('uninterrupted')
    return out, run_suite(real_suite, out)


def test_two_backbones_by_three_tasks_run_through_the_real_tools(uninterrupted):
    out, proc = uninterrupted
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = [read_result(p) for p in (out / 'results').glob('*.json')]
    assert len(results) == 6
    assert {(r.task, r.dataset, r.protocol) for r in results} == {
        ('linear', 'dtd', 'paper'), ('fewshot', 'dtd', '5way-5shot'), ('fewshot', 'eurosat', '5way-5shot')}
    assert {r.extra['suite']['backbone'] for r in results} == {'byol', 'mocov2'}
    assert all(r.checkpoint_sha256 == r.extra['suite']['key']['checkpoint_sha256'] for r in results)
    # the suite's few-shot cells extract with the paper's transform (ssl-transfer datasets/few_shot_dataset.py
    # L158-159, L173: 257 x 257 squash, centre crop), here at 32 px: int(32 * 1.15) = 36, crop 32
    fewshot = [r for r in results if r.task == 'fewshot']
    assert {r.hparams['transform'] for r in fewshot} == {'paper_fewshot'}
    assert {(r.extra['transform']['resize'], r.extra['transform']['squash']) for r in fewshot} == {(36, True)}
    assert (out / 'summary' / 'report.html').is_file() and 'report' in proc.stdout
    assert len(list((out / 'logs').glob('*.log'))) == 6


def test_a_second_run_does_no_work(uninterrupted, real_suite):
    out, _ = uninterrupted
    before = {p.name: p.stat().st_mtime_ns for p in (out / 'results').glob('*.json')}
    proc = run_suite(real_suite, out, '--no-summary')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '6 already finished or failed, 0 to run' in proc.stdout
    assert before == {p.name: p.stat().st_mtime_ns for p in (out / 'results').glob('*.json')}


def test_a_suite_killed_mid_cell_resumes_to_the_uninterrupted_results(uninterrupted, toy_checkpoints, toy_cls,
                                                                      tmp_path):
    # the few-shot DTD cells of the same suite: same keys, so the same cells as in the uninterrupted run
    suite = write_suite(tmp_path, _suite_data(toy_checkpoints, toy_cls, [FEWSHOT_DTD]))
    out = tmp_path / 'killed'
    proc = run_suite(suite, out, '--no-summary', text=True)
    deadline = time.monotonic() + 300
    killed_in = None
    while time.monotonic() < deadline and proc.poll() is None:
        done = {p.stem for p in (out / 'results').glob('*.json')}
        running = [m.parent.name for m in (out / 'cells').glob('*/RUNNING') if m.parent.name not in done]
        if done and running:  # one cell finished, the other in progress: kill everything right now
            os.killpg(proc.pid, signal.SIGKILL)
            killed_in = running[0]
            break
        time.sleep(0.05)
    proc.wait(30)
    assert killed_in is not None, 'the suite finished before it could be killed mid-cell'
    assert (out / 'cells' / killed_in / 'RUNNING').is_file()
    assert not (out / 'results' / f'{killed_in}.json').exists()
    resumed = run_suite(suite, out, '--no-summary')
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert '1 already finished or failed, 1 to run' in resumed.stdout and killed_in in resumed.stdout
    reference = metrics(uninterrupted[0])
    assert metrics(out) == {k: reference[k] for k in metrics(out)} and len(metrics(out)) == 2
    assert not list((out / 'cells').glob('*/RUNNING'))
    log = (out / 'logs' / f'{killed_in}.log').read_text()
    assert log.count('=== ') == 2 and '(resumed' in log  # the interrupted cell ran again, nothing else did


def test_cells_packed_on_two_cpu_slots_give_the_numbers_of_the_sequential_run(real_suite, uninterrupted, tmp_path):
    out = tmp_path / 'packed'
    proc = run_suite(real_suite, out, '--gpus', '2', '--no-summary')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'to run on 2 GPUs' in proc.stdout
    assert metrics(out) == metrics(uninterrupted[0])
    devices = {log.read_text().splitlines()[0].rsplit(' ', 1)[-1] for log in (out / 'logs').glob('*.log')}
    assert devices == {'0)', '1)'}  # both slots were used (each probe cell on one)
