"""The data pre-flight of a suite: check every dataset its cells read before anything starts.

Run before the first cell and before any checkpoint download (and in ``--dry-run``): each dataset folder the
cells name is checked as ``tools/prepare_data.py DATASET --check`` checks it. A missing or unreadable folder
stops the run with the table and the command that fixes each one, unless ``skip_missing``, which drops the cells
of those datasets and runs the rest. A readable folder that is not the official copy (other counts) only warns.
Toy-world folders (``{toy.<kind>}`` data roots) are written by the run itself and are not checked.
"""
from __future__ import annotations

import dataclasses

from rich.console import Console

from mmssl_transfer.datasets.catalog import DATA_SOURCES
from mmssl_transfer.datasets.preparation import DatasetCheck, check_datasets, check_table, fix_command
from mmssl_transfer.suite.matrix import Cell
from mmssl_transfer.suite.runner import print_whole
from mmssl_transfer.suite.spec import SuiteError, SuiteSpec


class SuiteDataError(SuiteError):
    """Datasets a suite needs are missing or unreadable (the message lists them with the fixes)."""


def suite_data_roots(suite: SuiteSpec, cells: list[Cell]) -> dict[str, str]:
    """dataset -> folder of every catalog dataset the cells read, toy-world folders left out."""
    roots: dict[str, str] = {}
    for cell in cells:
        if cell.dataset in DATA_SOURCES and '{toy.' not in suite.data_roots.get(cell.dataset, ''):
            roots.setdefault(cell.dataset, cell.data_root)
    return roots


def without_datasets(suite: SuiteSpec, datasets: set[str]) -> SuiteSpec:
    """The suite without the cells of ``datasets``."""
    tasks = tuple(dataclasses.replace(t, datasets=tuple(d for d in t.datasets if d not in datasets))
                  for t in suite.tasks)
    return dataclasses.replace(suite, tasks=tasks)


def check_suite_data(suite: SuiteSpec, cells: list[Cell], *, skip_missing: bool = False,
                     console: Console | None = None) -> tuple[SuiteSpec, list[DatasetCheck]]:
    """Check the suite's datasets, print the table; return the suite to run (without the unusable datasets when
    ``skip_missing``) and the checks.

    Raises:
        SuiteDataError: a dataset is missing or unreadable and ``skip_missing`` is False.
    """
    console = console or Console(highlight=False)
    roots = suite_data_roots(suite, cells)
    toy = sorted({c.dataset for c in cells if '{toy.' in suite.data_roots.get(c.dataset, '')})
    if toy:
        console.print(f'data: {", ".join(toy)} come from the toy world the run writes (not checked)')
    if not roots:
        return suite, []
    checks = check_datasets(roots)
    print_whole(console, check_table(checks, official=True, title=f'data of suite {suite.name}'))
    unusable = [c for c in checks if not c.usable]
    differing = [c.name for c in checks if c.usable and not c.ok(official=True)]
    if differing:
        console.print(f'[yellow]not the official copy[/] (the cells run, the numbers are not the paper\'s): '
                      f'{", ".join(differing)}')
    if not unusable:
        return suite, checks
    lines = [f'  {c.name} ({c.root}): {c.problems[0]}\n    fix: {fix_command(c.name, c.root)}' for c in unusable]
    if not skip_missing:
        raise SuiteDataError(f'{suite.path}: {len(unusable)} of the {len(checks)} datasets this suite needs are '
                             'missing or unreadable:\n' + '\n'.join(lines) + '\nprepare them (python '
                             'tools/prepare_data.py DATASET shows where each comes from and its layout), or '
                             'pass --skip-missing to run the cells of the other datasets')
    skipped = {c.name for c in unusable}
    console.print(f'[yellow]--skip-missing[/]: the cells of {", ".join(sorted(skipped))} are skipped')
    return without_datasets(suite, skipped), checks
