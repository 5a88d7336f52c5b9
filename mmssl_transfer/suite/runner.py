"""Run a suite: write the toy world if the suite has one, expand the matrix, run every unfinished cell in
order with a log per cell and a rich progress display, record each outcome in the result store.

A failing cell is recorded (error, return code, log) and the suite carries on; failed cells are skipped on the
next run unless ``retry_failed``. An interrupted cell (its RUNNING marker survives a kill) runs again; a
train/test cell then resumes training from its last saved checkpoint.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from mmssl_transfer.checkpoints import IdentityMemo
from mmssl_transfer.results import ResultError, read_result, store_info_file, write_json_atomic

from .commands import RunContext, build_steps, cell_dir, result_path
from .matrix import Cell, expand
from .spec import SuiteSpec
from .store import DONE, FAILED, INTERRUPTED, PENDING, ResultStore
from .toyworld import make_toy_world

LOG_TAIL_LINES = 15


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
    """Raised by the SIGTERM handler: stop the current cell's processes and leave it interrupted (handled like
    Ctrl-C by the caller)."""


class SuiteRunner:
    """Runs one suite into one output folder."""

    def __init__(self, suite: SuiteSpec, ctx: RunContext, *, retry_failed: bool = False,
                 console: Console | None = None) -> None:
        self.suite, self.ctx, self.retry_failed = suite, ctx, retry_failed
        self.store = ResultStore(ctx.out_dir)
        self.console = console or Console(stderr=False, highlight=False)
        self.toy_folders: dict[str, Path] = {}

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
        self.store.lock()
        previous = signal.signal(signal.SIGTERM, _raise_stop)
        start = time.monotonic()
        try:
            cells = self.plan()
            write_json_atomic(store_info_file(self.ctx.out_dir), {  # what the last run was, read by the summary
                'name': self.suite.name, 'file': str(self.suite.path), 'toy': self.suite.is_toy,
                'cells': len(cells), 'gpus': self.ctx.gpus, 'launcher': self.ctx.launcher,
                'max_batch_per_gpu': self.ctx.max_batch_per_gpu})
            report = RunReport(cells=cells)
            todo = [c for c in cells if self._should_run(self.store.state(c))]
            skipped = len(cells) - len(todo)
            self.console.print(f'[bold]suite {self.suite.name}[/]: {len(cells)} cells, {skipped} already '
                               f'finished or failed, {len(todo)} to run -> {self.ctx.out_dir}')
            with Progress(SpinnerColumn(), TextColumn('{task.description}'), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=self.console, transient=False) as progress:
                bar = progress.add_task('cells', total=len(todo))
                for cell in todo:
                    progress.update(bar, description=f'[cyan]{cell.cell_id}')
                    self._run_cell(cell, report, progress.console)
                    progress.advance(bar)
                progress.update(bar, description='cells')
            report.states = {c.cell_id: self.store.state(c) for c in cells}
            report.seconds = time.monotonic() - start
            self._print_outcome(report)
            return report
        finally:
            signal.signal(signal.SIGTERM, previous)
            self.store.unlock()

    def _should_run(self, state: str) -> bool:
        return state in (PENDING, INTERRUPTED) or (state == FAILED and self.retry_failed)

    def _run_cell(self, cell: Cell, report: RunReport, console: Console) -> None:
        state = self.store.state(cell)
        resume = state == INTERRUPTED
        folder = cell_dir(self.ctx, cell)
        if not resume:
            shutil.rmtree(folder, ignore_errors=True)
        result_path(self.ctx, cell).unlink(missing_ok=True)  # never read a stale result
        steps = build_steps(self.ctx, cell, resume=resume)
        self.store.mark_running(cell, [s.display() for s in steps])
        log_path = self.store.log_file(cell.cell_id)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        report.ran.append(cell.cell_id)
        started = time.monotonic()
        try:
            with open(log_path, 'a', encoding='utf-8') as log:
                log.write(f'=== {cell.cell_id} ({"resumed" if resume else "started"} {time.ctime()})\n')
                for step in steps:
                    self._run_step(step, log, log_path)
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
        console.print(f'[green]v[/] {cell.cell_id}  {result.primary_metric}={result.value:.4g}  ({seconds:.1f}s)')

    def _run_step(self, step: Any, log: Any, log_path: Path) -> None:
        try:
            argv = step.resolve()
        except (FileNotFoundError, OSError) as exc:
            raise CellFailed(f'{step.name}: {exc}') from None
        log.write(f'$ {" ".join(argv)}\n')
        log.flush()
        env = {**os.environ, 'PYTHON': self.ctx.python, **step.env, 'PYTHONUNBUFFERED': '1',
               'PYTHONPATH': os.pathsep.join(filter(None, [str(self.ctx.repo_root), os.environ.get('PYTHONPATH')]))}
        try:
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    cwd=self.ctx.repo_root, env=env, preexec_fn=_die_with_parent)
        except OSError as exc:
            raise CellFailed(f'{step.name}: cannot start {argv[0]}: {exc}') from None
        try:
            returncode = proc.wait()
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM (_Stop)
            _stop(proc)
            raise
        if returncode != 0:
            log.flush()
            raise CellFailed(f'{step.name} exited with code {returncode}; last lines of {log_path}:\n'
                             + _tail(log_path), returncode)

    def _read_result(self, cell: Cell):
        path = result_path(self.ctx, cell)
        try:
            result = read_result(path)
        except ResultError as exc:
            raise CellFailed(f'the tool finished but its result is unusable: {exc}') from None
        if result.task != cell.spec.task:
            raise CellFailed(f'{path}: result is for task {result.task!r}, expected {cell.spec.task!r}')
        return result

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


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding='utf-8', errors='replace').splitlines()
    except OSError:
        return ''
    return '\n'.join(text[-lines:])
