"""What a suite's store says about its cells now (``run_suite.py SUITE --status``), and stopping its runners
(``--cancel``).

Read from the store alone, so it works from any shell while runners are busy: the cells of the last run
(``store_info.json``), each one's result or failure file, its RUNNING marker (process, devices, start time) and
whether its lock is held (running) or not (interrupted: it runs again, resuming, on the next run).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from mmssl_transfer.results import store_info_file

from .spec import SuiteError
from .store import ResultStore

QUEUED, RUNNING, INTERRUPTED, DONE, FAILED = 'queued', 'running', 'interrupted', 'done', 'failed'


@dataclass(frozen=True)
class CellStatus:
    """One row of ``--status``."""

    cell_id: str
    state: str
    job: str  # the runner's process id (a Slurm job id once submitted there)
    elapsed: float | None  # seconds: so far (running) or in all (done, failed)
    log: str
    devices: str = ''


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
    """The state of every cell of the last run, from the store."""
    store = ResultStore(out_dir)
    rows = []
    for cell_id in suite_cell_ids(out_dir):
        log = str(store.log_file(cell_id))
        result = store.finished_result(cell_id)
        if result is not None:
            suite = result.extra.get('suite', {})
            rows.append(CellStatus(cell_id, DONE, '', suite.get('seconds'), suite.get('log', log)))
            continue
        failure = store.failure(cell_id)
        if failure is not None:
            rows.append(CellStatus(cell_id, FAILED, '', failure.get('seconds'), failure.get('log', log)))
            continue
        marker = store.running(cell_id)
        if marker is None:
            rows.append(CellStatus(cell_id, QUEUED, '', None, log))
            continue
        locked = store.cell_is_locked(cell_id)
        elapsed = (_dt.datetime.now(_dt.timezone.utc) - _dt.datetime.fromisoformat(marker['started'])).total_seconds()
        rows.append(CellStatus(cell_id, RUNNING if locked else INTERRUPTED, str(marker.get('pid', '')),
                               elapsed if locked else None, log, marker.get('devices', '')))
    return rows


def print_status(out_dir: Path, console: Console) -> list[CellStatus]:
    """Print the ``--status`` table and a count per state."""
    rows = cell_statuses(out_dir)
    table = Table(title=f'{out_dir}: {len(rows)} cells')
    for column in ('cell', 'state', 'job', 'devices', 'elapsed', 'log'):
        table.add_column(column, overflow='fold')
    for row in rows:
        elapsed = '' if row.elapsed is None else str(_dt.timedelta(seconds=round(row.elapsed)))
        table.add_row(row.cell_id, row.state, row.job, row.devices, elapsed, row.log)
    console.print(table)
    counts = {state: sum(r.state == state for r in rows) for state in (QUEUED, RUNNING, INTERRUPTED, DONE, FAILED)}
    console.print(', '.join(f'{n} {state}' for state, n in counts.items()))
    return rows


def cancel(out_dir: Path, console: Console) -> list[int]:
    """Stop the runners of the store's running cells (SIGTERM: each stops its cells' processes and leaves them
    interrupted, to resume on the next run); return their process ids. The ids are this machine's: a runner on
    another machine sharing the store is stopped there."""
    pids = sorted({int(r.job) for r in cell_statuses(out_dir) if r.state == RUNNING and r.job})
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        console.print(f'cancelled the suite runner {pid}')
    if not pids:
        console.print(f'{out_dir}: no cell is running')
    return pids
