"""What a suite's store says about its cells now (``run_suite.py SUITE --status``), and stopping its runners
(``--cancel``).

Read from the store, so it works from any shell while runners are busy: the cells of the last run
(``store_info.json``), each one's result or failure file, its RUNNING marker (process, devices, start time) and
whether its lock is held (running) or not (interrupted: it runs again, resuming, on the next run). A cell
submitted as a job (:mod:`.executors`) also shows its job (``jobs/<cell_id>.json``) and, on Slurm, the job's state
from ``sacct``: a queued or running job decides the cell's state, one that ended unfinished leaves it interrupted.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from mmssl_transfer.results import store_info_file

from .executors import LOCAL_SUBMITTER, SLURM_ALIVE, SLURM_QUEUED, SLURM_RUNNING, cancel_slurm_job, slurm_states
from .spec import SuiteError
from .store import ResultStore

QUEUED, RUNNING, INTERRUPTED, DONE, FAILED = 'queued', 'running', 'interrupted', 'done', 'failed'


@dataclass(frozen=True)
class CellStatus:
    """One row of ``--status``."""

    cell_id: str
    state: str
    job: str  # the runner's process id, or the submitit job (``slurm 1234``, ``local 5678``)
    elapsed: float | None  # seconds: so far (running) or in all (done, failed)
    log: str
    devices: str = ''
    scheduler: str = ''  # Slurm's state of the cell's job (sacct), for a cell submitted there


def suite_cell_ids(out_dir: Path) -> list[str]:
    """The cells of the last run of the store at ``out_dir``."""
    info_file = store_info_file(out_dir)
    try:
        info = json.loads(info_file.read_text(encoding='utf-8'))
    except FileNotFoundError:
        raise SuiteError(f'{out_dir}: no suite has run into this folder yet (no {info_file.name})') from None
    except json.JSONDecodeError as exc:
        raise SuiteError(f'{info_file}: unreadable ({exc})') from None
    return list(info.get('cell_ids', []))


def cell_statuses(out_dir: Path) -> list[CellStatus]:
    """The state of every cell of the last run, from the store and, for cells submitted to Slurm, from Slurm
    (``sacct`` through submitit: one call for all)."""
    store = ResultStore(out_dir)
    cell_ids = suite_cell_ids(out_dir)
    records = {cell_id: record for cell_id in cell_ids if (record := store.job(cell_id)) is not None}
    slurm = slurm_states([r['job_id'] for cell_id, r in records.items()
                          if r['executor'] == 'slurm' and store.finished_result(cell_id) is None])
    return [_cell_status(store, cell_id, records.get(cell_id), slurm) for cell_id in cell_ids]


def _cell_status(store: ResultStore, cell_id: str, record: dict | None, slurm: dict[str, str]) -> CellStatus:
    log = str(store.log_file(cell_id))
    job = f'{record["executor"]} {record["job_id"]}' if record else ''
    if record and not Path(log).is_file():
        log = record['job_log']  # nothing of the cell yet: submitit's log of its job
    result = store.finished_result(cell_id)
    if result is not None:
        suite = result.extra.get('suite', {})
        return CellStatus(cell_id, DONE, job, suite.get('seconds'), suite.get('log', log))
    failure = store.failure(cell_id)
    if failure is not None:
        return CellStatus(cell_id, FAILED, job, failure.get('seconds'), failure.get('log', log))
    marker = store.running(cell_id)
    if record and record['executor'] == 'slurm':
        scheduler = slurm.get(record['job_id'], 'UNKNOWN')
        if scheduler in SLURM_RUNNING:
            state = RUNNING
        elif scheduler in SLURM_QUEUED or (scheduler == 'UNKNOWN' and marker is None):
            state = QUEUED  # sacct may not know a job submitted a moment ago
        else:  # the job ended without finishing the cell: it runs (resumes) again on the next run
            state = INTERRUPTED
        elapsed = _elapsed(marker) if state == RUNNING and marker else None
        return CellStatus(cell_id, state, job, elapsed, log, marker.get('devices', '') if marker else '',
                          scheduler)
    if marker is None:
        return CellStatus(cell_id, QUEUED, job, None, log)
    locked = store.cell_is_locked(cell_id)
    return CellStatus(cell_id, RUNNING if locked else INTERRUPTED, job or str(marker.get('pid', '')),
                      _elapsed(marker) if locked else None, log, marker.get('devices', ''))


def _elapsed(marker: dict) -> float:
    return (_dt.datetime.now(_dt.timezone.utc) - _dt.datetime.fromisoformat(marker['started'])).total_seconds()


def print_status(out_dir: Path, console: Console) -> list[CellStatus]:
    """Print the ``--status`` table and a count per state."""
    rows = cell_statuses(out_dir)
    table = Table(title=f'{out_dir}: {len(rows)} cells')
    for column in ('cell', 'state', 'job', 'Slurm', 'devices', 'elapsed', 'log'):
        table.add_column(column, overflow='fold')
    for row in rows:
        elapsed = '' if row.elapsed is None else str(_dt.timedelta(seconds=round(row.elapsed)))
        table.add_row(row.cell_id, row.state, row.job, row.scheduler, row.devices, elapsed, row.log)
    console.print(table)
    counts = {state: sum(r.state == state for r in rows) for state in (QUEUED, RUNNING, INTERRUPTED, DONE, FAILED)}
    console.print(', '.join(f'{n} {state}' for state, n in counts.items()))
    return rows


@dataclass
class Cancelled:
    """What ``--cancel`` stopped."""

    processes: list[int] = field(default_factory=list)  # runners and local jobs/submitters (SIGTERM)
    slurm_jobs: list[str] = field(default_factory=list)  # Slurm jobs (scancel)


def cancel(out_dir: Path, console: Console) -> Cancelled:
    """Stop the store's cells: ``scancel`` their queued and running Slurm jobs (through submitit), and SIGTERM the
    processes running cells here (inline runners, local jobs) and a local submitter (so it submits no more). Each
    stopped cell stays interrupted and resumes on the next run. Process ids are this machine's: a runner on another
    machine sharing the store is stopped there."""
    store = ResultStore(out_dir)
    rows = cell_statuses(out_dir)
    done = Cancelled()
    for row in rows:
        if row.scheduler in SLURM_ALIVE:
            cancel_slurm_job(store.job(row.cell_id))
            done.slurm_jobs.append(row.job.split()[-1])
            console.print(f'cancelled Slurm job {done.slurm_jobs[-1]} ({row.cell_id})')
    pids = {int(r.job) for r in rows if r.state == RUNNING and r.job.isdigit()}
    pids |= {int(m['pid']) for r in rows if r.state == RUNNING and r.job.startswith('local ')
             and (m := store.running(r.cell_id))}
    if store.cell_is_locked(LOCAL_SUBMITTER):
        pids.add(int(store.cell_lock_file(LOCAL_SUBMITTER).read_text().strip()))
    for pid in sorted(pids):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        done.processes.append(pid)
        console.print(f'cancelled the suite process {pid}')
    if not done.processes and not done.slurm_jobs:
        console.print(f'{out_dir}: no cell is queued or running')
    return done
