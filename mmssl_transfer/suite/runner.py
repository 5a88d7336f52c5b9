"""Run a suite: write the toy world if the suite has one, expand the matrix, run the unfinished cells packed onto
the machine's GPUs (:mod:`.scheduler`: several at once, each on its own devices) with a log per cell and a rich
progress display, record each outcome in the result store.

Each cell runs under its lock in the store, so several runners may share one store (on one machine or on a
shared file system): a cell locked by another runner is left to it.

A failing cell is recorded (error, return code, log) and the suite carries on; failed cells are skipped on the
next run unless ``retry_failed``. An interrupted cell (its RUNNING marker survives a kill) runs again; a
train/test cell then resumes training from its last saved checkpoint.
"""
from __future__ import annotations

import ctypes
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from mmssl_transfer.checkpoints import IdentityMemo
from mmssl_transfer.errors import EXIT_BAD_INPUT
from mmssl_transfer.progress import PlainWhenPiped
from mmssl_transfer.results import ResultError, read_result, store_info_file, write_json_atomic

from .commands import RunContext, build_steps, cell_dir, result_path
from .matrix import Cell, expand
from .scheduler import Packer, Placement
from .spec import SuiteSpec
from .store import DONE, FAILED, INTERRUPTED, ResultStore, should_run
from .toyworld import make_toy_world

LOG_TAIL_LINES = 15
#: A tool's bad-input line (:func:`mmssl_transfer.cli.run_tool`; under torchrun the failing rank's, printed last).
_BAD_INPUT_LINE = re.compile(r'^[^\s:]+: error: ')
#: How a failure record's first line begins when the cell's tool refused its input (exit status 2).
BAD_INPUT_MARK = 'failed on bad input: '


def print_whole(console: Console, renderable: RenderableType) -> None:
    """Print a table at its natural width when the output is not a terminal (a pipe or log file), so paths and
    commands are never split mid-token at 80 columns; on a terminal rich fits it to the window as usual."""
    if console.is_terminal:
        console.print(renderable)
        return
    natural = Measurement.get(console, console.options.update_width(10_000), renderable).maximum
    width = console.width
    console.width = max(width, natural)
    try:
        console.print(renderable)
    finally:
        console.width = width


@dataclass
class RunReport:
    """What a suite run did."""

    cells: list[Cell]
    states: dict[str, str] = field(default_factory=dict)  # cell_id -> final state
    ran: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def counts(self) -> Counter:
        return Counter(self.states.values())

    @property
    def ok(self) -> bool:
        return all(s == DONE for s in self.states.values())


class CellFailed(RuntimeError):
    """A cell's command failed or its result is unusable."""

    def __init__(self, message: str, returncode: int | None = None) -> None:
        super().__init__(message)
        self.returncode = returncode


class _Stop(KeyboardInterrupt):
    """Raised by the SIGTERM handler: stop the running cells' processes and leave them interrupted (handled like
    Ctrl-C by the caller)."""


class _CellStopped(Exception):
    """A cell's process ended because the suite is stopping: the cell stays interrupted, not failed."""


class SuiteRunner:
    """Runs one suite into one output folder.

    Args:
        packer: How cells share the machine's devices; default: one cell at a time on ``ctx.gpus`` GPUs (each
            cell on the most of them its total batch allows).
    """

    def __init__(self, suite: SuiteSpec, ctx: RunContext, *, retry_failed: bool = False,
                 console: Console | None = None, packer: Packer | None = None) -> None:
        self.suite, self.ctx, self.retry_failed = suite, ctx, retry_failed
        self.store = ResultStore(ctx.out_dir)
        self.console = console or Console(stderr=False, highlight=False)
        self.toy_folders: dict[str, Path] = {}
        self.packer = packer or Packer(ctx.gpus, max_parallel=1)
        self._stopping = threading.Event()
        self._procs: dict[int, subprocess.Popen] = {}
        self._procs_lock = threading.Lock()

    # -- planning ------------------------------------------------------------------------------------------
    def plan(self, dry_run: bool = False) -> list[Cell]:
        """Write the toy world (not in a dry run) and expand the matrix."""
        if self.suite.is_toy and not dry_run:
            self.console.print(f'[bold]toy world[/] under {self.ctx.out_dir / "toy"}')
            self.toy_folders = make_toy_world(
                self.ctx.out_dir / 'toy', self.suite.toy_kinds, self.suite.toy_options,
                on_kind=lambda kind, folder, made: self.console.print(
                    f'  {kind:<15} {"written" if made else "present"}: {folder}'))
        elif self.suite.is_toy:
            self.toy_folders = {k: self.ctx.out_dir / 'toy' / f'<{k}>' for k in self.suite.toy_kinds}
        sha_cache = IdentityMemo(None if dry_run else self.ctx.out_dir / '.sha256-cache.json')
        return expand(self.suite, self.toy_folders, resolve_zoo=not dry_run, sha_cache=sha_cache,
                      repo_root=self.ctx.repo_root)

    def dry_run(self) -> list[Cell]:
        """Print the cells, their state and their commands without running anything."""
        cells = self.plan(dry_run=True)
        table = Table(title=f'suite {self.suite.name}: {len(cells)} cells (dry run)', show_lines=False)
        for column in ('#', 'cell', 'state', 'commands'):
            table.add_column(column, overflow='fold')
        for i, cell in enumerate(cells, 1):
            commands = '\n'.join(s.display() for s in build_steps(self.ctx, cell))
            table.add_row(str(i), cell.cell_id, self.store.state(cell), commands)
        print_whole(self.console, table)
        return cells

    # -- running -------------------------------------------------------------------------------------------
    def run(self) -> RunReport:
        previous = signal.signal(signal.SIGTERM, _raise_stop)
        start = time.monotonic()
        try:
            cells = self.prepare()
            report = RunReport(cells=cells)
            todo = [c for c in cells if should_run(self.store.state(c), self.retry_failed)]
            skipped = len(cells) - len(todo)
            self.console.print(f'[bold]suite {self.suite.name}[/]: {len(cells)} cells, {skipped} already '
                               f'finished or failed, {len(todo)} to run on {self.packer.devices} '
                               f'{"GPU" if self.packer.devices == 1 else "GPUs"} -> {self.ctx.out_dir}')
            with PlainWhenPiped(SpinnerColumn(), TextColumn('{task.description}'), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=self.console, transient=False, plain_step=0) as progress:
                bar = progress.add_task('cells', total=len(todo))
                self._run_packed(todo, report, progress, bar)
                progress.update(bar, description='cells')
            report.states = {c.cell_id: self.store.state(c) for c in cells}
            report.seconds = time.monotonic() - start
            self._print_outcome(report)
            return report
        finally:
            signal.signal(signal.SIGTERM, previous)

    def prepare(self) -> list[Cell]:
        """Write the toy world and the store info (what the last run was, read by the summary and ``--status``)
        under the store's lock, and return the cells."""
        self.store.lock(wait=True)  # one runner at a time writes the toy world and the store info
        try:
            cells = self.plan()
            write_json_atomic(store_info_file(self.ctx.out_dir), {
                'name': self.suite.name, 'file': str(self.suite.path), 'toy': self.suite.is_toy,
                'cells': len(cells), 'gpus': self.ctx.gpus, 'launcher': self.ctx.launcher,
                'max_batch_per_gpu': self.ctx.max_batch_per_gpu, 'cell_ids': [c.cell_id for c in cells]})
        finally:
            self.store.unlock()
        return cells

    def report(self, cells: list[Cell], ran: list[str]) -> RunReport:
        """The cells' states as the store has them now (after jobs ran the cells ``ran``), printed as after a
        run."""
        report = RunReport(cells=cells, states={c.cell_id: self.store.state(c) for c in cells}, ran=list(ran))
        self._print_outcome(report)
        return report

    def _run_packed(self, todo: list[Cell], report: RunReport, progress: Progress, bar: Any) -> None:
        """Start cells as the packer places them, each in a thread of its own; wait for one to end, repeat."""
        ended: queue.Queue[Placement] = queue.Queue()
        running: dict[str, tuple[Placement, threading.Thread, Any]] = {}
        free = list(range(self.packer.devices))
        waiting = list(todo)
        try:
            while waiting or running:
                for placement in self.packer.place(waiting, free, [p for p, _, _ in running.values()]):
                    cell = placement.cell
                    waiting.remove(cell)
                    handle = self.store.lock_cell(cell.cell_id)
                    if handle is None or not should_run(self.store.state(cell), self.retry_failed):
                        if handle is not None:  # another runner finished it meanwhile
                            self.store.unlock_cell(handle)
                        else:
                            progress.console.print(f'[yellow]-[/] {cell.cell_id} is running in another runner')
                        progress.advance(bar)
                        continue
                    free = [d for d in free if d not in placement.devices]
                    thread = threading.Thread(target=self._run_placed, args=(placement, report, progress, ended),
                                              name=cell.cell_id, daemon=True)
                    running[cell.cell_id] = (placement, thread, handle)
                    thread.start()
                if not running:
                    continue  # every placed cell was another runner's: place the next ones
                try:
                    placement = ended.get(timeout=0.2)
                except queue.Empty:
                    continue
                _, thread, handle = running.pop(placement.cell.cell_id)
                thread.join()
                self.store.unlock_cell(handle)
                free = sorted(free + list(placement.devices))
                progress.advance(bar)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM (_Stop): stop every running cell, leave them interrupted
            self._stopping.set()
            with self._procs_lock:
                procs = list(self._procs.values())
            for proc in procs:
                _stop(proc)
            for _, thread, handle in running.values():
                thread.join()
                self.store.unlock_cell(handle)
            raise

    def _run_placed(self, placement: Placement, report: RunReport, progress: Progress,
                    ended: queue.Queue) -> None:
        try:
            self._run_cell(placement.cell, report, progress.console, placement)
        except _CellStopped:
            pass
        except Exception as exc:  # a bug here must not hang the suite: record it as the cell's failure
            self.store.mark_failed(placement.cell, f'suite runner error: {exc!r}', None, 0.0)
            report.errors[placement.cell.cell_id] = repr(exc)
        finally:
            ended.put(placement)

    def run_one(self, cell: Cell, gpus: int, job: dict[str, str] | None = None) -> str:
        """Run one cell in this process under its lock, on this process's first ``gpus`` devices (the body of a
        submitted job, :mod:`.executors`); return the cell's state after. A cell locked by another runner, or
        done meanwhile, is left alone. An interrupted cell resumes (:meth:`_run_cell`); a cell stopped by
        :meth:`stop_processes` stays interrupted."""
        handle = self.store.lock_cell(cell.cell_id)
        if handle is None:
            self.console.print(f'{cell.cell_id} is running in another runner: left to it')
            return self.store.state(cell)
        try:
            if self.store.state(cell) == DONE:
                return DONE
            try:
                self._run_cell(cell, RunReport(cells=[cell]), self.console, Placement(cell, tuple(range(gpus))),
                               job=job)
            except _CellStopped:
                pass
            return self.store.state(cell)
        finally:
            self.store.unlock_cell(handle)

    def stop_processes(self, grace: float = 20.0) -> None:
        """Stop the running cells' processes (safe inside a signal handler: it never waits on a lock the
        interrupted code may hold); the cells stay interrupted and resume on the next run."""
        self._stopping.set()
        with self._procs_lock:
            procs = list(self._procs.values())
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + grace
        while any(proc.poll() is None for proc in procs) and time.monotonic() < deadline:
            time.sleep(0.1)
        for proc in procs:
            if proc.poll() is None:
                proc.kill()

    def _run_cell(self, cell: Cell, report: RunReport, console: Console, placement: Placement,
                  job: dict[str, str] | None = None) -> None:
        state = self.store.state(cell)
        resume = state == INTERRUPTED
        ctx = replace(self.ctx, gpus=placement.gpus)
        folder = cell_dir(ctx, cell)
        if not resume:
            shutil.rmtree(folder, ignore_errors=True)
        result_path(ctx, cell).unlink(missing_ok=True)  # never read a stale result
        steps = build_steps(ctx, cell, resume=resume)
        env = {} if ctx.launcher == 'slurm' else {'CUDA_VISIBLE_DEVICES': visible_devices(placement.devices)}
        self.store.mark_running(cell, [s.display() for s in steps], env.get('CUDA_VISIBLE_DEVICES', ''), job)
        log_path = self.store.log_file(cell.cell_id)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        report.ran.append(cell.cell_id)
        started = time.monotonic()
        try:
            with open(log_path, 'a', encoding='utf-8') as log:
                in_job = f' in {job["executor"]} job {job["job_id"]}' if job else ''
                log.write(f'=== {cell.cell_id} ({"resumed" if resume else "started"} {time.ctime()} on '
                          f'{placement.gpus} device(s) {env.get("CUDA_VISIBLE_DEVICES", "")}{in_job})\n')
                for step in steps:
                    self._run_step(step, log, log_path, env)
            result = self._read_result(cell)
        except CellFailed as exc:
            seconds = time.monotonic() - started
            self.store.mark_failed(cell, str(exc), exc.returncode, seconds)
            report.errors[cell.cell_id] = str(exc)
            console.print(f'[red]x[/] {cell.cell_id} failed after {seconds:.1f}s: {str(exc).splitlines()[0]}\n'
                          f'  log: {log_path}')
            return
        seconds = time.monotonic() - started
        self.store.mark_done(cell, result, seconds)
        console.print(f'[green]v[/] {cell.cell_id}  {result.primary_metric}={result.value:.4g}  ({seconds:.1f}s, '
                      f'{placement.gpus} device(s))')

    def _run_step(self, step: Any, log: Any, log_path: Path, cell_env: dict[str, str]) -> None:
        try:
            argv = step.resolve()
        except (FileNotFoundError, OSError) as exc:
            raise CellFailed(f'{step.name}: {exc}') from None
        log.write(f'$ {" ".join(argv)}\n')
        log.flush()
        env = {**os.environ, 'PYTHON': self.ctx.python, **step.env, **cell_env, 'PYTHONUNBUFFERED': '1',
               'PYTHONPATH': os.pathsep.join(filter(None, [str(self.ctx.repo_root), os.environ.get('PYTHONPATH')]))}
        if self._stopping.is_set():
            raise _CellStopped()
        try:
            with self._procs_lock:
                proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        cwd=self.ctx.repo_root, env=env, preexec_fn=_die_with_parent)
                self._procs[proc.pid] = proc
        except OSError as exc:
            raise CellFailed(f'{step.name}: cannot start {argv[0]}: {exc}') from None
        try:
            returncode = proc.wait()
        finally:
            with self._procs_lock:
                self._procs.pop(proc.pid, None)
        if self._stopping.is_set():
            raise _CellStopped()
        if returncode != 0:
            log.flush()
            head = (f'{step.name} {BAD_INPUT_MARK}{_bad_input_line(log_path)}\n'
                    if returncode == EXIT_BAD_INPUT else f'{step.name} exited with code {returncode}; ')
            raise CellFailed(f'{head}last lines of {log_path}:\n' + _tail(log_path), returncode)

    def _read_result(self, cell: Cell):
        path = result_path(self.ctx, cell)
        try:
            result = read_result(path)
        except ResultError as exc:
            raise CellFailed(f'the tool finished but its result is unusable: {exc}') from None
        if result.task != cell.spec.task:
            raise CellFailed(f'{path}: result is for task {result.task!r}, expected {cell.spec.task!r}')
        return result

    def bad_input_failure(self, report: RunReport) -> str | None:
        """``<log>: <step> failed on bad input: <tool's line>`` of the first failed cell when every cell that did
        not finish failed on bad input (its tool exited 2); None when some cell crashed, is unfinished or all are
        done."""
        unfinished = [c for c in report.cells if report.states.get(c.cell_id) != DONE]
        failures = {f['cell_id']: f for f in self.store.failures()}
        if not unfinished or any(report.states.get(c.cell_id) != FAILED or c.cell_id not in failures
                                 or failures[c.cell_id].get('returncode') != EXIT_BAD_INPUT for c in unfinished):
            return None
        first = failures[unfinished[0].cell_id]
        return f'{first["log"]}: {first["error"].splitlines()[0]}'

    def _print_outcome(self, report: RunReport) -> None:
        counts = report.counts
        self.console.print(f'[bold]suite {self.suite.name}[/]: ran {len(report.ran)} cells in '
                           f'{report.seconds:.0f}s; ' + ', '.join(f'{n} {s}' for s, n in sorted(counts.items())))
        failures = self.store.failures()
        live = {c.cell_id for c in report.cells}
        failures = [f for f in failures if f['cell_id'] in live]
        if failures:
            table = Table(title='failed cells (rerun with --retry-failed)')
            for column in ('cell', 'error', 'log'):
                table.add_column(column, overflow='fold')
            for f in failures:
                table.add_row(f['cell_id'], f['error'].splitlines()[0], f['log'])
            print_whole(self.console, table)


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop()


def visible_devices(devices: tuple[int, ...]) -> str:
    """``CUDA_VISIBLE_DEVICES`` of a cell: its device numbers, taken from the suite's own visible set when the
    suite was started with one (``CUDA_VISIBLE_DEVICES=4,5,6,7``: device 0 of the suite is GPU 4)."""
    outer = [d for d in os.environ.get('CUDA_VISIBLE_DEVICES', '').split(',') if d.strip()]
    return ','.join(outer[d] if d < len(outer) else str(d) for d in devices)


def _stop(proc: subprocess.Popen) -> None:
    """Terminate a cell's process, then kill it if it does not stop within 20 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _die_with_parent() -> None:
    """Linux: the cell's process gets SIGKILL if the suite process dies (even by SIGKILL)."""
    if sys.platform.startswith('linux'):
        try:
            ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def _bad_input_line(path: Path) -> str:
    """The last ``<tool>: error: ...`` line of a cell's log: the tool's (or its failing rank's) one-line reason."""
    lines = _tail(path, lines=10_000).splitlines()
    return next((line for line in reversed(lines) if _BAD_INPUT_LINE.match(line)),
                next((line for line in reversed(lines) if line.strip()), 'exit status 2 (bad input)'))


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding='utf-8', errors='replace').splitlines()
    except OSError:
        return ''
    return '\n'.join(text[-lines:])
