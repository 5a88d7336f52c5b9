"""The result store of a suite run: one JSON per finished cell, written atomically, plus state markers.

Layout under the output folder::

    results/<cell_id>.json   finished: the tool's TransferResult plus extra['suite'] (key, backbone, log)
    failed/<cell_id>.json    failed: the error, return code and log path (removed once the cell succeeds)
    cells/<cell_id>/         the cell's working folder; RUNNING marks a cell in progress
    logs/<cell_id>.log       everything the cell's subprocesses printed
    locks/<cell_id>.lock     held (flock) by the one runner running the cell, so runners sharing a store never
                             run one cell twice; released when that process ends, even by SIGKILL
    jobs/<cell_id>.json      the cell's last submitit job (``--executor slurm|local``): executor, job id, GPUs,
                             submitit's folder and job log, the cell's log
    submitit/                submitit's own files: each job's pickled call, sbatch script and stdout/stderr
    .lock                    held while a runner plans (writes the toy world and the store info)

A cell counts as finished only when ``results/<cell_id>.json`` exists and reads back as a valid result. That
file is written (atomically) after the tool exited successfully and its own result was read and checked, so
a run killed at any moment - even with SIGKILL, mid-cell - leaves either a finished cell or none; the
RUNNING marker it leaves behind only tells the next run that the cell was interrupted and must run again.
"""
from __future__ import annotations

import datetime as _dt
import fcntl
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

from mmssl_transfer.errors import InputError
from mmssl_transfer.results import (ResultError, TransferResult, read_result, store_failure_file, store_failure_files,
                                    store_result_file, store_result_files, write_json_atomic, write_result)

from .matrix import Cell

DONE, FAILED, INTERRUPTED, PENDING = 'done', 'failed', 'interrupted', 'pending'


def should_run(state: str, retry_failed: bool) -> bool:
    """A cell in ``state`` runs (again): pending or interrupted, or failed when failures are retried."""
    return state in (PENDING, INTERRUPTED) or (state == FAILED and retry_failed)


class StoreError(InputError):
    """The store is in use by another process or holds something unreadable."""


class ResultStore:
    """Reads and writes the state of the cells of one output folder."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self._lock_file = None

    # -- paths ---------------------------------------------------------------------------------------------
    def result_file(self, cell_id: str) -> Path:
        return store_result_file(self.root, cell_id)

    def failure_file(self, cell_id: str) -> Path:
        return store_failure_file(self.root, cell_id)

    def running_marker(self, cell_id: str) -> Path:
        return self.root / 'cells' / cell_id / 'RUNNING'

    def log_file(self, cell_id: str) -> Path:
        return self.root / 'logs' / f'{cell_id}.log'

    def cell_lock_file(self, cell_id: str) -> Path:
        return self.root / 'locks' / f'{cell_id}.lock'

    def job_file(self, cell_id: str) -> Path:
        return self.root / 'jobs' / f'{cell_id}.json'

    @property
    def submitit_folder(self) -> Path:
        """submitit's folder of the store's jobs (``%j`` is each job's id)."""
        return self.root / 'submitit' / '%j'

    # -- locking -------------------------------------------------------------------------------------------
    def lock(self, wait: bool = False) -> None:
        """Hold the store's lock for this process (released on exit, also after SIGKILL); ``wait`` blocks until
        another runner releases it instead of refusing."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / '.lock', 'a+')
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.close()
            raise StoreError(f'{self.root}: another suite run is writing this output folder') from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle

    def unlock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def lock_cell(self, cell_id: str) -> Any | None:
        """Take the cell's lock (an open file to pass to :meth:`unlock_cell`), or None while another process
        holds it."""
        path = self.cell_lock_file(cell_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, 'a+')
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        return handle

    @staticmethod
    def unlock_cell(handle: Any) -> None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()

    def cell_is_locked(self, cell_id: str) -> bool:
        """Whether some process holds the cell's lock now (it is running there)."""
        path = self.cell_lock_file(cell_id)
        if not path.is_file():
            return False
        with open(path, 'a+') as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
        return False

    def running(self, cell_id: str) -> dict[str, Any] | None:
        """The RUNNING marker of a cell (pid, start time, devices, commands), if any."""
        try:
            return json.loads(self.running_marker(cell_id).read_text(encoding='utf-8'))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    # -- state ---------------------------------------------------------------------------------------------
    def state(self, cell: Cell) -> str:
        """``done``, ``failed``, ``interrupted`` or ``pending``."""
        if self.finished_result(cell.cell_id) is not None:
            return DONE
        if self.failure_file(cell.cell_id).is_file():
            return FAILED
        if self.running_marker(cell.cell_id).is_file():
            return INTERRUPTED
        return PENDING

    def finished_result(self, cell_id: str) -> TransferResult | None:
        path = self.result_file(cell_id)
        if not path.is_file():
            return None
        try:
            return read_result(path)
        except ResultError:
            return None  # cannot happen with atomic writes, but never count a bad file as finished

    def failure(self, cell_id: str) -> dict[str, Any] | None:
        path = self.failure_file(cell_id)
        try:
            return json.loads(path.read_text(encoding='utf-8'))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    # -- transitions ---------------------------------------------------------------------------------------
    def mark_running(self, cell: Cell, commands: list[str], devices: str = '', job: dict[str, str] | None = None,
                     ) -> None:
        """Write the cell's RUNNING marker; ``job`` names the submitit job running it (executor, job id)."""
        write_json_atomic(self.running_marker(cell.cell_id),
                          {'pid': os.getpid(), 'started': _now(), 'key': cell.key, 'commands': commands,
                           'devices': devices, 'log': str(self.log_file(cell.cell_id)), **(job or {})})

    def record_job(self, cell: Cell, executor: str, job_id: str, gpus: int, job_log: str, **extra: Any) -> Path:
        """Record the job a cell was submitted as (replacing an earlier one's record)."""
        return write_json_atomic(self.job_file(cell.cell_id), {
            'cell_id': cell.cell_id, 'executor': executor, 'job_id': job_id, 'gpus': gpus,
            'folder': str(self.submitit_folder), 'job_log': job_log, 'log': str(self.log_file(cell.cell_id)),
            'submitted': _now(), **extra})

    def job(self, cell_id: str) -> dict[str, Any] | None:
        """The cell's last job record, if it was ever submitted."""
        try:
            return json.loads(self.job_file(cell_id).read_text(encoding='utf-8'))
        except FileNotFoundError:
            return None
        except json.JSONDecodeError as exc:
            raise StoreError(f'{self.job_file(cell_id)}: unreadable job record ({exc})') from None

    def mark_done(self, cell: Cell, result: TransferResult, seconds: float) -> Path:
        extra = dict(result.extra)
        extra['suite'] = {'cell_id': cell.cell_id, 'key': cell.key, 'backbone': cell.backbone.name,
                          'kind': cell.kind, 'variant': dict(cell.grid), 'seconds': round(seconds, 2),
                          'log': str(self.log_file(cell.cell_id))}
        path = write_result(self.result_file(cell.cell_id), replace(result, extra=extra))
        self.failure_file(cell.cell_id).unlink(missing_ok=True)
        self.running_marker(cell.cell_id).unlink(missing_ok=True)
        return path

    def mark_failed(self, cell: Cell, error: str, returncode: int | None, seconds: float) -> Path:
        path = write_json_atomic(self.failure_file(cell.cell_id), {
            'cell_id': cell.cell_id, 'key': cell.key, 'backbone': cell.backbone.name, 'error': error,
            'returncode': returncode, 'log': str(self.log_file(cell.cell_id)), 'seconds': round(seconds, 2),
            'finished': _now()})
        self.running_marker(cell.cell_id).unlink(missing_ok=True)
        return path

    def results(self) -> Iterator[TransferResult]:
        """Every finished result of the store."""
        for path in store_result_files(self.root):
            yield read_result(path)

    def failures(self) -> list[dict[str, Any]]:
        return [f for p in store_failure_files(self.root) if (f := self.failure(p.stem))]


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds')
