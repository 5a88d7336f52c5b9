"""The cost of a suite before anything runs (``run_suite.py SUITE --plan``): each cell's GPU-hours, the total, and
the wall-clock time of the cells packed onto the machine's GPUs.

A cell's work is its protocol's steps (a train/test cell's ``max_iters``, its own ``--cfg-options`` override
first; a finetune sweep's grid points x steps) or, for the probes that only extract features and solve, one
cell; times per unit come from the step-time table ``benchmarks/step_times.json`` by task and GPU kind. An entry
of another GPU kind than the one planned for is used as it is and the plan says so (extrapolated), as it does for
every entry not measured by this project. A cell on n GPUs is taken to take 1/n of its one-GPU time (the total
batch is split, so GPU-hours do not depend on n); the wall clock replays the packer (:mod:`.scheduler`) on those
times.
"""
from __future__ import annotations

import heapq
import json
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from mmssl_transfer.project_files import project_root
from mmssl_transfer.tasks import FINETUNE_WDS, LR_GRID

from .matrix import Cell
from .scheduler import Packer
from .spec import SuiteError

STEP_TIMES = Path('benchmarks') / 'step_times.json'


@dataclass(frozen=True)
class StepTime:
    """One entry of the step-time table."""

    task: str
    gpu: str
    unit: str  # 'step' or 'cell'
    seconds: float
    measured: bool
    source: str


def load_step_times(path: Path | None = None) -> list[StepTime]:
    """The step-time table (default: the checkout's ``benchmarks/step_times.json``)."""
    path = path or project_root() / STEP_TIMES
    try:
        data = json.loads(Path(path).read_text(encoding='utf-8'))
        return [StepTime(**entry) for entry in data['entries']]
    except FileNotFoundError:
        raise SuiteError(f'{path}: no step-time table (benchmarks/step_times.json of a checkout)') from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise SuiteError(f'{path}: not a step-time table ({exc})') from None


def _flag_values(args: tuple[str, ...], flag: str) -> list[str]:
    """The values after ``flag`` in ``args`` up to the next flag."""
    if flag not in args:
        return []
    values = []
    for arg in args[args.index(flag) + 1:]:
        if arg.startswith('--'):
            break
        values.append(arg)
    return values


def _train_steps(cell: Cell) -> int:
    return int(cell.cfg_options.get('train_cfg.max_iters', cell.spec.default_settings['max_iters']))


def _finetune_steps(cell: Cell) -> int:
    points = len(_flag_values(cell.args, '--lrs') or LR_GRID) * len(_flag_values(cell.args, '--wds') or FINETUNE_WDS)
    steps = int((_flag_values(cell.args, '--max-iters') or [cell.spec.paper_settings['steps']])[0])
    return points * steps


def cell_work(cell: Cell) -> int:
    """A cell's units of work, from its task row: optimizer steps of a train/test task (its default schedule, the
    paper's or the one it borrows), grid points x steps of the finetune sweep, 1 for a whole probe cell."""
    if cell.spec.family == 'train_test':
        return _train_steps(cell)
    return _finetune_steps(cell) if cell.kind == 'finetune' else 1


@dataclass(frozen=True)
class CellCost:
    """A cell's planned cost."""

    cell: Cell
    work: int
    entry: StepTime
    gpu: str

    @property
    def gpu_hours(self) -> float:
        return self.work * self.entry.seconds / 3600

    def seconds(self, gpus: int) -> float:
        """Wall seconds on ``gpus`` GPUs (the total batch split over them)."""
        return self.work * self.entry.seconds / gpus

    @property
    def basis(self) -> str:
        """``measured on H100``, ``not measured (V100)``, or either with ``, extrapolated to <gpu>``."""
        basis = f'measured on {self.entry.gpu}' if self.entry.measured else f'not measured ({self.entry.gpu})'
        return basis if self.entry.gpu == self.gpu else f'{basis}, extrapolated to {self.gpu}'


def cell_costs(cells: list[Cell], gpu: str, table: list[StepTime]) -> list[CellCost]:
    """Each cell's cost on GPUs of kind ``gpu``: the table's entry for that kind, else the task's measured
    entry of another kind, else any entry of the task."""
    costs = []
    for cell in cells:
        entries = [e for e in table if e.task == cell.kind]
        if not entries:
            raise SuiteError(f'the step-time table has no entry for task {cell.kind!r}')
        entry = min(entries, key=lambda e: (e.gpu != gpu, not e.measured))
        costs.append(CellCost(cell, cell_work(cell), entry, gpu))
    return costs


def packed_wall_seconds(costs: list[CellCost], packer: Packer) -> float:
    """Wall seconds until every cell has run, replaying the packer on the planned times."""
    by_id = {c.cell.cell_id: c for c in costs}
    waiting = [c.cell for c in costs]
    free = list(range(packer.devices))
    running: list[tuple[float, int, object]] = []
    now, order = 0.0, 0
    while waiting or running:
        for placement in packer.place(waiting, free, [p for _, _, p in running]):
            waiting.remove(placement.cell)
            free = [d for d in free if d not in placement.devices]
            order += 1
            heapq.heappush(running, (now + by_id[placement.cell.cell_id].seconds(placement.gpus), order, placement))
        now, _, placement = heapq.heappop(running)
        free = sorted(free + list(placement.devices))
    return now


def print_plan(costs: list[CellCost], packer: Packer, console: Console, cells_table: bool = True,
               where: str | None = None) -> dict:
    """Print each cell's cost, the cost per task, the total and the packed wall clock; return the totals.
    ``where`` says how the cells run (default: packed onto the packer's GPUs)."""
    if cells_table:
        table = Table(title='cells')
        for column in ('cell', 'work', 'GPU-hours', 'basis'):
            table.add_column(column, overflow='fold')
        for c in costs:
            unit = 'steps' if c.entry.unit == 'step' else 'cell'
            table.add_row(c.cell.cell_id, f'{c.work:,} {unit}', f'{c.gpu_hours:,.2f}', c.basis)
        console.print(table)
    tasks = Table(title='per task')
    for column in ('task', 'cells', 'GPUs a cell can use', 'GPU-hours', 'per unit', 'basis', 'source'):
        tasks.add_column(column, overflow='fold')
    for task in dict.fromkeys(c.cell.kind for c in costs):
        group = [c for c in costs if c.cell.kind == task]
        first = group[0]
        counts = ', '.join(map(str, first.cell.gpu_counts(min(packer.devices, packer.gpus_per_cell or packer.devices))))
        tasks.add_row(task, str(len(group)), counts, f'{sum(c.gpu_hours for c in group):,.1f}',
                      f'{first.entry.seconds:g} s/{first.entry.unit}', first.basis, first.entry.source)
    console.print(tasks)
    gpu_hours = sum(c.gpu_hours for c in costs)
    wall = packed_wall_seconds(costs, packer)
    where = where or f'packed onto {packer.devices} GPUs'
    console.print(f'[bold]total[/]: {len(costs)} cells, {gpu_hours:,.0f} GPU-hours on {costs[0].gpu if costs else "-"}'
                  f'; {where}: {wall / 3600:,.0f} hours ({wall / 86400:,.1f} days) of wall clock')
    return {'cells': len(costs), 'gpu_hours': gpu_hours, 'wall_seconds': wall}
