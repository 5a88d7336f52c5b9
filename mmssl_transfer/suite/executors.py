"""Cells as submitit jobs (``run_suite.py SUITE --executor slurm|local``): one job per cell, requeued and resumed
when it is preempted or times out.

- ``slurm``: :class:`submitit.SlurmExecutor` submits each cell as its own ``sbatch`` job on one node with the
  cell's GPUs (the most its total batch splits over, up to ``--gpus-per-cell``, default a node's 8),
  ``--partition``, ``--account``, ``--qos`` and ``--time``. The job has **one task**, which runs the cell's steps
  as the inline runner does (``dist_train.sh`` / ``torchrun --standalone`` over the job's GPUs, one process per
  GPU). One process owns the cell, so it alone takes Slurm's signals, stops the cell's processes and requeues the
  job. With one Slurm task per GPU, every rank would have to agree on the stop and the requeue, and the tools would
  need Slurm's rank variables.
- ``local``: :class:`submitit.LocalExecutor` runs the same jobs as local processes, packed onto ``--gpus``
  devices by :mod:`.scheduler` (each job gets its own ``CUDA_VISIBLE_DEVICES``). Use it for tests and on one
  machine without Slurm.

Preemption and time-out follow submitit's protocol. Slurm sends ``USR2`` (``--signal=USR2@120`` before the time
limit, or after a preemption's ``SIGTERM``). submitit's handler calls :meth:`CellJob.checkpoint`, which stops the
cell's processes and returns a fresh :class:`CellJob`. submitit then requeues the job (``scontrol requeue``) and it
runs again under the same job id. The job keeps no state of its own. Its rerun finds the cell interrupted in the
store (its RUNNING marker) and resumes it as the inline runner does: mmengine ``--resume`` from the last
checkpoint for train/test cells, the finished sweep points of a finetune, the feature cache for the probes. A
``SIGTERM`` alone (``scancel``) stops the cell's processes and leaves the cell interrupted. ``#SBATCH --requeue``
also lets Slurm requeue a preempted job itself.

The store records each cell's job (``jobs/<cell_id>.json``). ``--status`` asks Slurm for their states (``sacct``
through submitit) and ``--cancel`` cancels them (``scancel`` through submitit); see :mod:`.status`.
``--max-jobs`` caps the jobs in flight: the submitter waits for jobs to end before it submits more.
"""
from __future__ import annotations

import shutil
import signal
import time
from dataclasses import dataclass, field, replace
from typing import Any

import submitit
from rich.console import Console
from submitit.helpers import Checkpointable, DelayedSubmission
from submitit.slurm.slurm import SlurmInfoWatcher

from mmssl_transfer.tasks import TASKS

from .commands import RunContext
from .matrix import Cell
from .runner import SuiteRunner, visible_devices
from .scheduler import Packer, Placement
from .spec import SuiteError, SuiteSpec
from .store import DONE, FAILED, ResultStore, should_run

EXECUTORS = ('inline', 'local', 'slurm')
#: Slurm job states (``sacct``) in which a job is queued or running: its cell is not submitted again.
SLURM_QUEUED = frozenset({'PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'SUSPENDED',
                          'PREEMPTED', 'RESV_DEL_HOLD'})
SLURM_RUNNING = frozenset({'RUNNING', 'COMPLETING', 'SIGNALING', 'STAGE_OUT', 'RESIZING'})
SLURM_ALIVE = SLURM_QUEUED | SLURM_RUNNING
NODE_GPUS = 8  #: a Slurm job's GPUs when ``--gpus-per-cell`` does not say: one node's
SIGNAL_DELAY_S = 120  #: ``USR2`` this long before the time limit: time to stop the cell and requeue
MAX_TIMEOUT_REQUEUES = 20  #: a cell longer than ``--time`` goes on over this many time-outs at most
PREEMPT_GRACE_S = 30.0  #: after a SIGTERM under Slurm, how long a job waits for the USR2 of a preemption
LOCAL_SUBMITTER = 'local-submitter'  #: the lock (``locks/local-submitter.lock``) a local submitter holds


@dataclass(frozen=True)
class JobOptions:
    """How cells are submitted (``run_suite.py --executor ... --partition ... --max-jobs ...``)."""

    executor: str = 'local'
    partition: str = ''
    account: str | None = None
    qos: str | None = None
    hours: float = 24.0  # each job's time limit (``--time``); a longer cell is requeued and resumes
    max_jobs: int | None = None
    cpus_per_gpu: int = 8
    poll_seconds: float | None = None  # how often the submitter looks at its jobs: default 30 s Slurm, 1 s local

    def __post_init__(self) -> None:
        if self.executor not in ('local', 'slurm'):
            raise SuiteError(f'unknown executor {self.executor!r}; use one of {EXECUTORS}')
        if self.executor == 'slurm' and not self.partition:
            raise SuiteError('--executor slurm needs --partition')
        for name, value in (('--max-jobs', self.max_jobs), ('--time', self.hours),
                            ('--cpus-per-gpu', self.cpus_per_gpu)):
            if value is not None and value <= 0:
                raise SuiteError(f'{name} must be positive, got {value}')


def slurm_gpus(cell: Cell, gpus_per_cell: int | None) -> int:
    """A cell's GPUs as a Slurm job: the most its total batch splits over, up to ``gpus_per_cell`` (a node)."""
    return cell.gpu_counts(gpus_per_cell or NODE_GPUS)[-1]


def slurm_packer(cells: list[Cell], gpus_per_cell: int | None, max_jobs: int | None) -> Packer:
    """The packing of cells as Slurm jobs (the submitter's and the plan's): the cluster finds the nodes, so every
    cell gets its most GPUs (:func:`slurm_gpus`), at most ``max_jobs`` cells at once."""
    cap = gpus_per_cell or NODE_GPUS
    return Packer(cap * max(len(cells), 1), gpus_per_cell=cap, max_parallel=max_jobs)


class CellJob(Checkpointable):
    """What a submitted job runs: one cell, under its lock, on the job's first ``gpus`` devices.

    It carries the task row it was planned with, so a row registered at run time (a plugin's, a test's stand-in)
    reaches the job's fresh process.
    """

    def __init__(self, suite: SuiteSpec, ctx: RunContext, cell: Cell, gpus: int) -> None:
        self.suite, self.ctx, self.cell, self.gpus = suite, ctx, cell, gpus
        self.task = cell.spec
        self._runner: SuiteRunner | None = None
        self._terminated = False

    def __call__(self) -> str:
        TASKS.setdefault(self.cell.kind, self.task)
        env = submitit.JobEnvironment()
        self._runner = SuiteRunner(self.suite, replace(self.ctx, gpus=self.gpus), console=Console(highlight=False))
        signal.signal(signal.SIGTERM, self._terminate)
        state = self._runner.run_one(self.cell, self.gpus, {'executor': env.cluster, 'job_id': env.job_id})
        if self._terminated and env.cluster == 'slurm':
            _await_requeue()
        return state

    def _terminate(self, signum: int, frame: Any) -> None:
        self._terminated = True
        if self._runner is not None:
            self._runner.stop_processes()

    def checkpoint(self, *args: Any, **kwargs: Any) -> DelayedSubmission:
        """Called by submitit on preemption or time-out: stop the cell (it stays interrupted in the store) and
        resubmit a fresh job for it, which resumes it."""
        if self._runner is not None:
            self._runner.stop_processes()
        return DelayedSubmission(CellJob(self.suite, self.ctx, self.cell, self.gpus))

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, '_runner': None, '_terminated': False}


def _await_requeue(seconds: float = PREEMPT_GRACE_S) -> None:
    """After a SIGTERM under Slurm, wait a little for a preemption's USR2 (submitit then checkpoints, requeues and
    exits here); an ``scancel`` sends none."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.2)


def _normal_state(state: str) -> str:
    """``CANCELLED by 1000`` -> ``CANCELLED``."""
    return state.split()[0].upper() if state.strip() else 'UNKNOWN'


def slurm_states(job_ids: list[str]) -> dict[str, str]:
    """Slurm's state of each job (one ``sacct`` call through submitit's watcher; ``UNKNOWN`` when sacct does not
    know it)."""
    if not job_ids:
        return {}
    watcher = SlurmInfoWatcher()
    for job_id in job_ids:
        watcher.register_job(job_id)
    watcher.update()
    return {job_id: _normal_state(watcher.get_state(job_id, mode='cache')) for job_id in job_ids}


def cancel_slurm_job(record: dict[str, Any]) -> None:
    """``scancel`` a recorded job through submitit."""
    submitit.SlurmJob(folder=record['folder'], job_id=record['job_id']).cancel(check=False)


@dataclass
class SubmitReport:
    """What a submission did: the jobs it submitted (cell id -> job id) and the cells' states afterwards."""

    cells: list[Cell]
    executor: str
    jobs: dict[str, str] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every cell done (local), or every unfinished cell queued (slurm)."""
        if self.executor == 'slurm':
            return FAILED not in self.states.values()
        return all(s == DONE for s in self.states.values())


class JobSubmitter:
    """Submits a suite's unfinished cells as submitit jobs, records each job in the store and, where it must,
    waits for jobs to end: always for local jobs (they are this machine's), and under ``--max-jobs`` until the last
    cell is submitted.

    Args:
        packer: The local machine's packing (``--gpus``, ``--gpus-per-cell``, ``--max-parallel``); for Slurm only
            its ``gpus_per_cell`` is read.
    """

    def __init__(self, suite: SuiteSpec, ctx: RunContext, options: JobOptions, packer: Packer, *,
                 console: Console | None = None, retry_failed: bool = False) -> None:
        if ctx.launcher != 'none':
            raise SuiteError(f'--executor {options.executor} runs each cell with its own launcher inside the job; '
                             f'leave out --launcher {ctx.launcher}')
        self.suite, self.ctx, self.options, self.retry_failed = suite, ctx, options, retry_failed
        self.console = console or Console(highlight=False)
        self.store = ResultStore(ctx.out_dir)
        self.packer = packer
        self.executor = self._make_executor()

    def _make_executor(self) -> submitit.Executor:
        folder = self.store.submitit_folder
        if self.options.executor == 'local':
            return submitit.LocalExecutor(folder=folder, max_num_timeout=MAX_TIMEOUT_REQUEUES)
        missing = [tool for tool in ('sbatch', 'srun', 'sacct') if shutil.which(tool) is None]
        if missing:
            raise SuiteError(f'--executor slurm: {", ".join(missing)} not on PATH (not a Slurm login node?); '
                             'use --executor local on a machine without Slurm')
        return submitit.SlurmExecutor(folder=folder, max_num_timeout=MAX_TIMEOUT_REQUEUES)

    # -- choosing ------------------------------------------------------------------------------------------
    def _live_jobs(self, cells: list[Cell]) -> set[str]:
        """Cells whose recorded job is still queued or running (Slurm), or whose lock is held (a local job or a
        runner): they are not submitted again."""
        records = {c.cell_id: r for c in cells if (r := self.store.job(c.cell_id)) is not None}
        states = slurm_states([r['job_id'] for r in records.values() if r['executor'] == 'slurm'])
        live = {cell_id for cell_id, r in records.items() if states.get(r['job_id']) in SLURM_ALIVE}
        return live | {c.cell_id for c in cells if self.store.cell_is_locked(c.cell_id)}

    # -- submitting ----------------------------------------------------------------------------------------
    def _submit(self, placement: Placement) -> submitit.Job:
        cell, gpus = placement.cell, placement.gpus
        if self.options.executor == 'slurm':
            parameters = {'job_name': cell.cell_id, 'partition': self.options.partition,
                          'account': self.options.account, 'qos': self.options.qos,
                          'time': max(1, round(self.options.hours * 60)), 'nodes': 1, 'ntasks_per_node': 1,
                          'gpus_per_node': gpus, 'cpus_per_task': self.options.cpus_per_gpu * gpus,
                          'signal_delay_s': SIGNAL_DELAY_S, 'additional_parameters': {'requeue': True}}
        else:
            visible = tuple(int(d) for d in visible_devices(placement.devices).split(','))  # the machine's
            parameters = {'timeout_min': self.options.hours * 60, 'gpus_per_node': gpus, 'tasks_per_node': 1,
                          'visible_gpus': visible, 'signal_delay_s': SIGNAL_DELAY_S}
        self.executor.update_parameters(**{k: v for k, v in parameters.items() if v is not None})
        job = self.executor.submit(CellJob(self.suite, self.ctx, cell, gpus))
        self.store.record_job(cell, self.options.executor, str(job.job_id), gpus, str(job.paths.stdout))
        self.console.print(f'[cyan]>[/] {cell.cell_id}: {self.options.executor} job {job.job_id} on {gpus} '
                           f'{"GPU" if gpus == 1 else "GPUs"}')
        return job

    def _ended(self, jobs: dict[str, submitit.Job]) -> list[str]:
        """The cells whose job has ended (Slurm: one ``sacct`` for all)."""
        if self.options.executor == 'slurm':
            states = slurm_states([job.job_id for job in jobs.values()])
            return [cell_id for cell_id, job in jobs.items() if states[job.job_id] not in SLURM_ALIVE]
        return [cell_id for cell_id, job in jobs.items() if job.done()]

    def submit(self, cells: list[Cell]) -> SubmitReport:
        """Submit the cells that should run and have no live job; return what was submitted and the states."""
        report = SubmitReport(cells=cells, executor=self.options.executor)
        live = self._live_jobs(cells)
        todo = [c for c in cells if should_run(self.store.state(c), self.retry_failed) and c.cell_id not in live]
        self.console.print(f'[bold]suite {self.suite.name}[/]: {len(cells)} cells, {len(live)} with a live job, '
                           f'{len(todo)} to submit as {self.options.executor} jobs -> {self.ctx.out_dir}')
        packer = (slurm_packer(todo, self.packer.gpus_per_cell, self.options.max_jobs)
                  if self.options.executor == 'slurm' else self.packer)
        wait_all = self.options.executor == 'local'
        waiting, free = list(todo), list(range(packer.devices))
        running: dict[str, tuple[Placement, submitit.Job]] = {}
        previous = signal.signal(signal.SIGTERM, _interrupt)
        # --cancel finds a local submitter through this lock (held while it lives) and stops it
        handle = self.store.lock_cell(LOCAL_SUBMITTER) if wait_all else None
        try:
            while waiting or (running and wait_all):
                for placement in packer.place(waiting, free, [p for p, _ in running.values()]):
                    waiting.remove(placement.cell)
                    free = [d for d in free if d not in placement.devices]
                    job = self._submit(placement)
                    running[placement.cell.cell_id] = (placement, job)
                    report.jobs[placement.cell.cell_id] = str(job.job_id)
                if not waiting and not wait_all:
                    break
                time.sleep(self.options.poll_seconds or (30.0 if self.options.executor == 'slurm' else 1.0))
                for cell_id in self._ended({k: job for k, (_, job) in running.items()}):
                    placement, _ = running.pop(cell_id)
                    free = sorted(free + list(placement.devices))
                    self.console.print(f'  {cell_id}: job ended, {self.store.state(placement.cell)}')
        except KeyboardInterrupt:
            self._stop_local(running)
            raise
        finally:
            signal.signal(signal.SIGTERM, previous)
            if handle is not None:
                self.store.unlock_cell(handle)
        report.states = {c.cell_id: self.store.state(c) for c in cells}
        if not wait_all:
            self.console.print(f'[bold]{len(report.jobs)} Slurm jobs submitted[/]; follow them with '
                               f'run_suite.py {self.suite.name} --status, stop them with --cancel')
        return report

    def _stop_local(self, running: dict[str, tuple[Placement, submitit.Job]]) -> None:
        """Ctrl-C or SIGTERM of the submitter: local jobs are cancelled (their cells stay interrupted and resume on
        the next run); Slurm jobs stay queued (``--cancel`` cancels them)."""
        if self.options.executor != 'local':
            self.console.print(f'{len(running)} Slurm jobs stay queued or running (--cancel cancels them)')
            return
        for _, job in running.values():
            job.cancel(check=False)
        for _, job in running.values():
            while not job.done():
                time.sleep(0.2)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt()
