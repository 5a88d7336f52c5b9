"""Cells as submitit jobs. The Slurm path goes through submitit with fake ``sbatch``/``sacct``/``scancel``/
``scontrol``/``srun`` written into tmp_path: the submitted scripts and their resources, a job run as Slurm runs it
(the recorded script under the job's SLURM_* variables), preempted (SIGTERM then USR2, as Slurm and submitit do),
requeued and resumed, ``--max-jobs``, ``--status`` and ``--cancel``. The local executor runs real toy cells end to
end and gives the numbers of the inline run."""
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from mmssl_transfer.errors import InputError
from mmssl_transfer.results import read_result, store_info_file
from mmssl_transfer.suite import load_suite
from mmssl_transfer.suite.commands import RunContext
from mmssl_transfer.suite.executors import JobOptions, JobSubmitter, SubmitReport, slurm_gpus, slurm_packer
from mmssl_transfer.suite.matrix import Cell
from mmssl_transfer.suite.plan import StepTime, cell_costs, packed_wall_seconds
from mmssl_transfer.suite.runner import SuiteRunner
from mmssl_transfer.suite.scheduler import Packer
from mmssl_transfer.suite.spec import BackboneSpec, SuiteError
from mmssl_transfer.suite.status import DONE, INTERRUPTED, QUEUED, RUNNING, cancel, cell_statuses, suite_cell_ids
from mmssl_transfer.suite.store import ResultStore

from tests.test_suite.suite_helpers import REPO, fake_suite, write_suite

#: The fake Slurm commands: each logs its call to calls.log; job states live in states (``ID|STATE|NODE`` lines).
FAKES = {
    'sbatch': '''
n=$(( $(cat "$FAKE_SLURM/next" 2>/dev/null || echo 0) + 1 )); echo $n > "$FAKE_SLURM/next"
cp "$1" "$FAKE_SLURM/job_$n.sh"; echo "$n|PENDING|" >> "$FAKE_SLURM/states"
echo "sbatch $n" >> "$FAKE_SLURM/calls.log"; echo "Submitted batch job $n"''',
    'sacct': '''
echo "sacct $*" >> "$FAKE_SLURM/calls.log"; echo "JobID|State|NodeList"; cat "$FAKE_SLURM/states" 2>/dev/null
if [ -n "$FAKE_SACCT_FINISH" ]; then sed -i 's/|PENDING|/|COMPLETED|/' "$FAKE_SLURM/states"; fi''',
    'scancel': '''
echo "scancel $*" >> "$FAKE_SLURM/calls.log"; sed -i "s/^$1|[A-Z]*|/$1|CANCELLED by 1000|/" "$FAKE_SLURM/states"''',
    'scontrol': 'echo "scontrol $*" >> "$FAKE_SLURM/calls.log"',
    'srun': '''
out=/dev/stdout; err=/dev/stderr
while [[ "$1" == --* ]]; do
  case "$1" in --output) out="$2"; shift 2;; --error) err="$2"; shift 2;; *) shift;; esac
done
out=${out//%j/$SLURM_JOB_ID}; out=${out//%t/0}; err=${err//%j/$SLURM_JOB_ID}; err=${err//%t/0}
exec "$@" >> "$out" 2>> "$err"''',
}


@pytest.fixture
def fake_slurm(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / 'slurm'
    (folder / 'bin').mkdir(parents=True)
    for name, body in FAKES.items():
        path = folder / 'bin' / name
        path.write_text('#!/bin/bash\n' + body.strip() + '\n')
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv('FAKE_SLURM', str(folder))
    monkeypatch.setenv('PATH', f'{folder / "bin"}{os.pathsep}{os.environ["PATH"]}')
    monkeypatch.setenv('PYTHONPATH', os.pathsep.join(filter(None, [str(REPO), os.environ.get('PYTHONPATH')])))
    return folder


def _calls(fake: Path) -> list[str]:
    return (fake / 'calls.log').read_text().splitlines()


def _set_state(fake: Path, job_id: str, state: str) -> None:
    lines = [line for line in (fake / 'states').read_text().splitlines() if not line.startswith(f'{job_id}|')]
    (fake / 'states').write_text('\n'.join(lines + [f'{job_id}|{state}|node1']) + '\n')


def _submit(suite: Path, out: Path, **options) -> tuple[SubmitReport, str]:
    """What ``run_suite.py SUITE --executor slurm --partition gpu ...`` does after its data check."""
    console = Console(file=io.StringIO(), width=300)
    jobs = JobOptions(executor='slurm', partition='gpu', poll_seconds=0.1, **options)
    spec, ctx = load_suite(suite), RunContext(out_dir=out.resolve())
    cells = SuiteRunner(spec, ctx, console=console).prepare()
    report = JobSubmitter(spec, ctx, jobs, Packer(1), console=console).submit(cells)
    return report, console.file.getvalue()


def _sbatch_lines(script: Path) -> dict[str, str]:
    flags = [line.split(None, 1)[1] for line in script.read_text().splitlines() if line.startswith('#SBATCH')]
    return dict((f.split('=', 1) + [''])[:2] for f in flags)


def _slurm_env(job_id: str) -> dict[str, str]:
    """What Slurm sets for the one task of a one-node job."""
    return {**os.environ, 'SLURM_JOB_ID': job_id, 'SLURM_NTASKS': '1', 'SLURM_PROCID': '0', 'SLURM_LOCALID': '0',
            'SLURM_NODEID': '0', 'SLURM_JOB_NUM_NODES': '1', 'SLURM_JOB_NODELIST': 'node1'}


def _cell(kind: str, total: int | None = None, dataset: str = 'dtd') -> Cell:
    options = {'transfer_task.total_batch_size': total} if total else {}
    return Cell(backbone=BackboneSpec('byol', 'byol', 'toy'), kind=kind, dataset=dataset, protocol='p', grid=(),
                seed=0, data_root='x', checkpoint='b.pth', checkpoint_sha256='sha', cfg_options=options)


def test_a_slurm_job_gets_the_most_gpus_its_cell_can_use():
    assert [slurm_gpus(_cell(k), None) for k in ('det', 'seg', 'normals', 'finetune', 'linear')] == [2, 4, 2, 8, 1]
    assert slurm_gpus(_cell('finetune'), 4) == 4 and slurm_gpus(_cell('seg', total=6), None) == 6
    with pytest.raises(SuiteError, match='--executor slurm needs --partition'):
        JobOptions(executor='slurm')
    with pytest.raises(SuiteError, match='--max-jobs must be positive'):
        JobOptions(executor='local', max_jobs=0)


def test_each_cell_is_submitted_with_its_resources_and_recorded(
        tmp_path, fake_slurm, batch_two_kind, two_checkpoints):
    suite, out = fake_suite(tmp_path, two_checkpoints, datasets=('dtd',)), tmp_path / 'out'
    report, text = _submit(suite, out, account='vision', qos='high', hours=2.5, cpus_per_gpu=4)
    assert report.ok and sorted(report.jobs.values()) == ['1', '2'], text
    assert [c for c in _calls(fake_slurm) if c.startswith('sbatch')] == ['sbatch 1', 'sbatch 2']
    store = ResultStore(out)
    records = {r['job_id']: r for r in map(store.job, suite_cell_ids(out))}
    assert sorted(records) == ['1', '2']
    for job_id, record in records.items():
        flags = _sbatch_lines(fake_slurm / f'job_{job_id}.sh')
        # the cell's total batch of 2 splits over 2 GPUs: the job has both, one task running the cell's launcher
        assert {k: flags[k] for k in ('--partition', '--account', '--qos', '--time', '--gpus-per-node', '--nodes',
                                      '--ntasks-per-node', '--cpus-per-task', '--job-name', '--requeue')} == {
            '--partition': 'gpu', '--account': 'vision', '--qos': 'high', '--time': '150', '--gpus-per-node': '2',
            '--nodes': '1', '--ntasks-per-node': '1', '--cpus-per-task': '8', '--job-name': record['cell_id'],
            '--requeue': ''}
        assert flags['--signal'] == 'USR2@120'
        command = (fake_slurm / f'job_{job_id}.sh').read_text().strip().splitlines()[-1]
        assert command.startswith('srun ') and command.endswith(f'-m submitit.core._submit {out.resolve()}/submitit/%j')
        assert record['executor'] == 'slurm' and record['gpus'] == 2
        assert record['job_log'] == f'{out.resolve()}/submitit/{job_id}/{job_id}_0_log.out'
    assert '2 Slurm jobs submitted' in text
    # --status: one sacct call through submitit, its states decide queued / running
    _set_state(fake_slurm, '1', 'RUNNING')
    rows = {r.job: r for r in cell_statuses(out)}
    assert (rows['slurm 1'].state, rows['slurm 1'].scheduler) == (RUNNING, 'RUNNING')
    assert (rows['slurm 2'].state, rows['slurm 2'].scheduler) == (QUEUED, 'PENDING')
    assert rows['slurm 2'].log == records['2']['job_log']  # nothing of the cell yet: the job's log
    # a second run submits nothing: both cells have a live job
    report, text = _submit(suite, out)
    assert report.jobs == {} and 'sbatch 3' not in _calls(fake_slurm) and '2 with a live job, 0 to submit' in text
    # --cancel: scancel through submitit for each live job; the cells are then interrupted (they resume on a rerun)
    console = Console(file=io.StringIO(), width=300)
    cancelled = cancel(out, console)
    assert sorted(cancelled.slurm_jobs) == ['1', '2'] and cancelled.processes == []
    assert sorted(c for c in _calls(fake_slurm) if c.startswith('scancel')) == ['scancel 1', 'scancel 2']
    rows = cell_statuses(out)
    assert [(r.state, r.scheduler) for r in rows] == [(INTERRUPTED, 'CANCELLED')] * 2
    report, _ = _submit(suite, out)  # a rerun submits them again: their jobs ended without finishing them
    assert sorted(report.jobs.values()) == ['3', '4']
    assert sorted(store.job(cell_id)['job_id'] for cell_id in suite_cell_ids(out)) == ['3', '4']


def test_max_jobs_waits_for_a_job_to_end_before_submitting_the_next(
        tmp_path, fake_slurm, fake_kind, two_checkpoints, monkeypatch):
    monkeypatch.setenv('FAKE_SACCT_FINISH', '1')  # sacct reports PENDING once, then COMPLETED
    suite = fake_suite(tmp_path, two_checkpoints, datasets=('dtd',))
    report, text = _submit(suite, tmp_path / 'out', max_jobs=1)
    assert sorted(report.jobs.values()) == ['1', '2'], text
    calls = [c.split()[0] for c in _calls(fake_slurm)]
    assert calls == ['sbatch', 'sacct', 'sacct', 'sbatch']  # job 2 only once sacct said job 1 had ended


def _wait_for(predicate, seconds: float = 60, what: str = '') -> None:
    deadline = time.time() + seconds
    while not predicate():
        assert time.time() < deadline, f'timed out waiting for {what}'
        time.sleep(0.1)


def test_a_preempted_job_is_requeued_and_resumes_its_cell(tmp_path, fake_slurm, batch_two_kind, two_checkpoints,
                                                          monkeypatch):
    trace = tmp_path / 'trace.jsonl'
    monkeypatch.setenv('FAKE_PROBE_TRACE', str(trace))
    suite, out = fake_suite(tmp_path, {'byol': two_checkpoints['byol']}, datasets=('dtd',)), tmp_path / 'out'
    assert _submit(suite, out)[0].jobs == {suite_cell_ids(out)[0]: '1'}
    store = ResultStore(out)
    (cell_id,) = suite_cell_ids(out)
    script = fake_slurm / 'job_1.sh'
    # the job runs as Slurm runs it: the batch script, its srun line starting the one task
    job = subprocess.Popen(['bash', str(script)], env={**_slurm_env('1'), 'FAKE_PROBE_SLEEP': '120'},
                           cwd=tmp_path, start_new_session=True)
    try:
        _wait_for(lambda: (store.running(cell_id) or {}).get('job_id') == '1'
                  and (out / 'cells' / cell_id / 'work' / 'attempts.txt').is_file(), what='the cell to start')
        _set_state(fake_slurm, '1', 'RUNNING')
        row = cell_statuses(out)[0]
        assert (row.state, row.job, row.scheduler, row.devices) == (RUNNING, 'slurm 1', 'RUNNING', '0,1')
        # preemption: SIGTERM, then USR2 to the job's task (what submitit's own SlurmJob._interrupt sends)
        task = store.running(cell_id)['pid']
        os.kill(task, signal.SIGTERM)
        time.sleep(1)
        os.kill(task, signal.SIGUSR2)
        assert job.wait(60) != 0
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
    assert 'scontrol requeue 1' in _calls(fake_slurm)  # submitit requeued the job
    assert store.running(cell_id) is not None and store.finished_result(cell_id) is None  # interrupted
    assert not trace.is_file()  # the cell's process was stopped before it finished
    _set_state(fake_slurm, '1', 'REQUEUED')
    assert cell_statuses(out)[0].state == QUEUED
    # Slurm runs the requeued job again under the same id: submitit loads the checkpointed call, the cell resumes
    rerun = subprocess.run(['bash', str(script)], env=_slurm_env('1'), cwd=tmp_path, timeout=120)
    assert rerun.returncode == 0
    runs = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [r['attempt'] for r in runs] == [2]  # the work dir of the first attempt was kept: resumed, not restarted
    headers = [line for line in store.log_file(cell_id).read_text().splitlines() if line.startswith('===')]
    assert [h.split()[2] for h in headers] == ['(started', '(resumed'] and all('in slurm job 1' in h for h in headers)
    _set_state(fake_slurm, '1', 'COMPLETED')
    row = cell_statuses(out)[0]
    assert (row.state, row.job) == (DONE, 'slurm 1')


def test_slurm_without_its_commands_is_one_clear_error(tmp_path, fake_kind, two_checkpoints, monkeypatch):
    monkeypatch.setenv('PATH', str(tmp_path / 'empty'))
    suite = fake_suite(tmp_path, two_checkpoints, datasets=('dtd',))
    with pytest.raises(InputError, match='sbatch, srun, sacct not on PATH'):
        _submit(suite, tmp_path / 'out')


def test_the_plan_prices_slurm_jobs_each_on_its_most_gpus():
    table = [StepTime('det', 'V100', 'step', 0.36, False, 'published'),
             StepTime('linear', 'V100', 'cell', 720.0, False, 'assumed')]
    det = Cell(backbone=BackboneSpec('byol', 'byol', 'toy'), kind='det', dataset='voc0712', protocol='frozen',
               grid=(), seed=0, data_root='x', checkpoint='b.pth', checkpoint_sha256='sha',
               cfg_options={'train_cfg.max_iters': 100})
    costs = cell_costs([det, _cell('linear'), _cell('linear', dataset='pets')], 'V100', table)
    assert packed_wall_seconds(costs, slurm_packer([c.cell for c in costs], None, None)) == 720  # all at once
    # one job at a time: det on its 2 GPUs (18 s), then the two probes
    assert packed_wall_seconds(costs, slurm_packer([c.cell for c in costs], None, 1)) == 18 + 720 + 720


def test_plan_with_the_slurm_executor_from_the_tool(tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / 'tools' / 'run_suite.py'), 'demo', '--plan', '--executor',
                           'slurm', '--partition', 'gpu', '--max-jobs', '4', '--out', str(tmp_path / 'out')],
                          cwd=REPO, env={**os.environ, 'PYTHONPATH': str(REPO), 'COLUMNS': '300'},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'as Slurm jobs, at most 4 at once' in proc.stdout and 'GPU-hours' in proc.stdout
    assert not (tmp_path / 'out').exists()  # a plan runs and submits nothing


PROBE_ARGS = ['--image-size', '32', '--workers', '0', '--batch-size', '32']


def test_the_local_executor_runs_a_real_toy_cell_to_the_inline_numbers(tmp_path, toy_checkpoints):
    from mmssl_transfer.toy import make_toy
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    data = make_toy('classification', tmp_path / 'data', seed=0, datasets=('dtd',), num_classes=5)
    suite = write_suite(tmp_path, {
        'name': 'local', 'data_roots': {'dtd': str(data / 'dtd')},
        'backbones': [{'name': m, 'method': m, 'checkpoint': str(toy_checkpoint_path(toy_checkpoints, m)),
                       'args': ['--base-channels', '8']} for m in ('byol',)],
        'tasks': [{'kind': 'fewshot', 'datasets': ['dtd'], 'shots': [5], 'args': PROBE_ARGS + ['--episodes', '20']}]})
    env = {**os.environ, 'PYTHONPATH': str(REPO), 'COLUMNS': '300'}

    def run(out: Path, *extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(REPO / 'tools' / 'run_suite.py'), str(suite), '--out', str(out),
                               '--no-summary', *extra], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)

    local = run(tmp_path / 'local', '--executor', 'local', '--gpus', '2')
    assert local.returncode == 0, local.stdout + local.stderr
    inline = SuiteRunner(load_suite(suite), RunContext(out_dir=tmp_path / 'inline'),
                         console=Console(file=io.StringIO())).run()  # in this process: one interpreter fewer
    assert inline.ok

    def metrics(out: Path) -> dict:
        return {p.stem: read_result(p).metrics for p in sorted((out / 'results').glob('*.json'))}
    assert len(metrics(tmp_path / 'local')) == 1 and metrics(tmp_path / 'local') == metrics(tmp_path / 'inline')
    store = ResultStore(tmp_path / 'local')
    rows = cell_statuses(tmp_path / 'local')
    assert [r.state for r in rows] == [DONE]
    for row in rows:
        record = store.job(row.cell_id)
        assert record['executor'] == 'local' and row.job == f'local {record["job_id"]}'
        assert f'in local job {record["job_id"]}' in store.log_file(row.cell_id).read_text().splitlines()[0]
        assert Path(record['job_log']).is_file()  # submitit's log of the job


def _local_submitter(suite: Path, out: Path) -> None:
    """A local submitter in its own process (forked: it sees the stand-in kind), one slot for two cells."""
    console = Console(file=io.StringIO())
    spec, ctx = load_suite(suite), RunContext(out_dir=out.resolve())
    try:
        JobSubmitter(spec, ctx, JobOptions(executor='local', poll_seconds=0.2), Packer(1), console=console).submit(
            SuiteRunner(spec, ctx, console=console).prepare())
    except KeyboardInterrupt:
        os._exit(3)
    os._exit(0)


def test_cancel_stops_a_local_submitter_and_its_running_job(tmp_path, fake_kind, two_checkpoints, monkeypatch):
    import multiprocessing
    monkeypatch.setenv('FAKE_PROBE_SLEEP', '120')
    monkeypatch.setenv('PYTHONPATH', os.pathsep.join(filter(None, [str(REPO), os.environ.get('PYTHONPATH')])))
    suite, out = fake_suite(tmp_path, two_checkpoints, datasets=('dtd',)), tmp_path / 'out'
    submitter = multiprocessing.get_context('fork').Process(target=_local_submitter, args=(suite, out))
    submitter.start()
    store = ResultStore(out)
    try:
        _wait_for(lambda: store_info_file(out).is_file() and RUNNING in [r.state for r in cell_statuses(out)],
                  what='a local job to run its cell')
        running, waiting = cell_statuses(out)
        record = store.job(running.cell_id)
        assert (running.state, running.job, running.devices) == (RUNNING, f'local {record["job_id"]}', '0')
        assert (waiting.state, waiting.job) == (QUEUED, '')  # one slot: the second cell is not submitted yet
        cancelled = cancel(out, Console(file=io.StringIO()))
        assert sorted(cancelled.processes) == sorted([store.running(running.cell_id)['pid'], submitter.pid])
        submitter.join(60)
        assert submitter.exitcode == 3  # stopped, having submitted nothing more
    finally:
        if submitter.is_alive():
            os.kill(submitter.pid, signal.SIGTERM)
            submitter.join(60)
    assert [r.state for r in cell_statuses(out)] == [INTERRUPTED, QUEUED]  # the next run resumes the first
    assert len(list((out / 'jobs').glob('*.json'))) == 1
