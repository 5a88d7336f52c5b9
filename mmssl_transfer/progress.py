"""Progress that reads well both on a terminal and in a pipe or log file.

On a terminal it is rich's live bar. When the console is not a terminal (``tool | tee log``, a suite's log, CI),
rich would print the bar's last frame (spinner and box-drawing characters) or nothing at all for a transient bar;
instead each task says how far it is in plain lines, as mmengine's ``ProgressBar`` does in a non-interactive
output: ``<description>: <done>/<total> (<percent>%) <elapsed>``, at most one line per ``plain_step`` of the
total and one when it completes.
"""
from __future__ import annotations

import time
from typing import Any

from rich import get_console
from rich.console import Console
from rich.progress import Progress, ProgressColumn, TaskID


class PlainWhenPiped(Progress):
    """A :class:`rich.progress.Progress` that writes plain lines instead of a live bar off a terminal.

    Args:
        *columns: rich's columns of the live bar (used on a terminal only).
        console: Where to write (default: rich's global console, on stdout).
        plain_step: Fraction of a task's total between two plain lines (0: a line at every advance).
        **kwargs: rich's other :class:`~rich.progress.Progress` options (``transient``, ``disable``...).
    """

    def __init__(self, *columns: str | ProgressColumn, console: Console | None = None, plain_step: float = 0.1,
                 **kwargs: Any) -> None:
        console = console or get_console()
        self.plain = not console.is_terminal and not kwargs.get('disable', False)
        if self.plain:
            kwargs['disable'] = True  # no live display; the lines below say it
        super().__init__(*columns, console=console, **kwargs)
        self.plain_step = plain_step
        self._said: dict[TaskID, float] = {}

    def add_task(self, description: str, start: bool = True, total: float | None = 100.0, completed: int = 0,
                 visible: bool = True, **fields: Any) -> TaskID:
        task = super().add_task(description, start=start, total=total, completed=completed, visible=visible,
                                **fields)
        self._said[task] = completed
        return task

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        super().advance(task_id, advance)
        self._say(task_id)

    def update(self, task_id: TaskID, *args: Any, **kwargs: Any) -> None:
        super().update(task_id, *args, **kwargs)
        if 'completed' in kwargs or 'advance' in kwargs:
            self._say(task_id)

    def _say(self, task_id: TaskID) -> None:
        if not self.plain:
            return
        task = self._tasks[task_id]
        done, total = task.completed, task.total
        step = self.plain_step * total if total else 0
        finished = total is not None and done >= total
        if not finished and done - self._said[task_id] < max(step, 1e-12):
            return
        self._said[task_id] = done
        elapsed = time.strftime('%H:%M:%S', time.gmtime(task.elapsed or 0))
        count = f'{_number(done)}/{_number(total)} ({100 * done / total:.0f}%)' if total else _number(done)
        self.console.print(f'{task.description}: {count} {elapsed}', markup=False, highlight=False,
                           soft_wrap=True)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f'{value:.1f}'
