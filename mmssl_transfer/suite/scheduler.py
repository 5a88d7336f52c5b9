"""Packing cells onto one machine's GPUs (or CPU slots): which waiting cell starts next, on which devices.

A cell may run on the GPU counts its task's row allows (:meth:`~.matrix.Cell.gpu_counts`: counts that split its
total batch evenly, within the task's ``max_gpus``), so a count its total batch refuses is never chosen. A cell
alone in the queue gets the most GPUs it can use; while others wait, each gets about its share of the machine
(``devices // waiting`` with ``waiting`` at most ``max_parallel``, rounded down to a count it can use), so a
machine of 8 GPUs runs a detection cell on 2, a linear probe on 1 and a finetune on the rest at once.
``gpus_per_cell`` caps every cell's count and ``max_parallel`` the cells running at once. Two cells that read
the same cached features (``feature_key``) never run together: the second would extract them again, or read
them while the first is writing them.

The packer only decides; :class:`~.runner.SuiteRunner` starts each placement as its own processes with
``CUDA_VISIBLE_DEVICES`` set to its devices (a torchrun ``--standalone`` each, so every cell has its own port).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .matrix import Cell
from .spec import SuiteError


@dataclass(frozen=True)
class Placement:
    """A cell started on some devices (GPU indices, or CPU slot numbers)."""

    cell: Cell
    devices: tuple[int, ...]

    @property
    def gpus(self) -> int:
        return len(self.devices)

    @property
    def visible_devices(self) -> str:
        """The cell's ``CUDA_VISIBLE_DEVICES``."""
        return ','.join(map(str, self.devices))


class Packer:
    """Chooses placements for waiting cells on ``devices`` GPUs (or CPU slots).

    Args:
        devices: GPUs (or CPU slots) of the machine.
        gpus_per_cell: Most GPUs any one cell gets (None: as many as it can use).
        max_parallel: Most cells running at once (None: as many as the devices hold).
    """

    def __init__(self, devices: int, gpus_per_cell: int | None = None, max_parallel: int | None = None) -> None:
        for name, value in (('--gpus', devices), ('--gpus-per-cell', gpus_per_cell),
                            ('--max-parallel', max_parallel)):
            if value is not None and value < 1:
                raise SuiteError(f'{name} must be at least 1, got {value}')
        self.devices = devices
        self.gpus_per_cell = gpus_per_cell
        self.max_parallel = max_parallel

    def gpus_for(self, cell: Cell, free: int, waiting: int) -> int | None:
        """How many GPUs ``cell`` starts on with ``free`` GPUs free and ``waiting`` cells (itself included)
        queued; None when it cannot start now."""
        counts = cell.gpu_counts(min(self.devices, self.gpus_per_cell or self.devices))
        together = min(waiting, self.max_parallel or waiting)  # cells that would share the machine
        share = max(1, self.devices // max(together, 1))
        fitting = [n for n in counts if n <= free]
        if not fitting:
            return None
        within_share = [n for n in fitting if n <= share]
        return max(within_share or fitting[:1])

    def place(self, waiting: Sequence[Cell], free: Sequence[int], running: Sequence[Placement]) -> list[Placement]:
        """Placements to start now for ``waiting`` (in queue order) on the ``free`` devices, beside ``running``."""
        free = list(free)
        busy_features = {p.cell.feature_key for p in running} - {None}
        started: list[Placement] = []
        queue = list(waiting)
        for cell in list(queue):
            if self.max_parallel is not None and len(running) + len(started) >= self.max_parallel:
                break
            if not free:
                break
            if cell.feature_key is not None and cell.feature_key in busy_features:
                continue
            n = self.gpus_for(cell, len(free), len(queue))
            if n is None:
                continue
            devices, free = tuple(free[:n]), free[n:]
            started.append(Placement(cell, devices))
            queue.remove(cell)
            if cell.feature_key is not None:
                busy_features.add(cell.feature_key)
        return started
