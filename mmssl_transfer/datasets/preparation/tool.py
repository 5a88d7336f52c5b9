"""What ``tools/prepare_data.py`` does: show where a dataset comes from, download or unpack it, check it.

Every action ends with a check of the folder; the exit status says whether it passed (0) or not (1). A check
passes when the folder is the complete official copy, or, with ``any_counts`` (a toy world, a subset), when the
readers can read it.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from rich.console import Console
from rich.table import Table

from mmssl_transfer.errors import InputError

from ..catalog import DATA_ROOTS, DATA_SOURCES
from .archives import unpack_archives
from .checks import DatasetCheck, check_datasets
from .fetch import download_dataset, layout_present
from .layouts import DATASET_NAMES
from .report import check_table, failure_text, fix_command, source_text


def roots_under(folder: str | Path, names: Sequence[str] = DATASET_NAMES) -> dict[str, Path]:
    """Each dataset's folder under ``folder`` (a ``data/``-like parent): its default folder (``data/dtd`` ->
    ``folder/dtd``), else ``folder/<last part of the default>``, ``folder/<name>`` or ``folder/classification/<name>``
    (the toy world's layout), the first that holds the layout; the default when none does."""
    folder = Path(folder)
    roots = {}
    for name in names:
        default = Path(DATA_ROOTS[name])
        relative = default.relative_to('data') if default.parts[0] == 'data' else default
        candidates = [folder / relative, folder / default.name, folder / name, folder / 'classification' / name]
        roots[name] = next((c for c in candidates if c.is_dir() and layout_present(name, c)), candidates[0])
    return roots


def overview_table(roots: dict[str, Path]) -> Table:
    """One row per dataset: folder, source, how this tool gets it, size."""
    table = Table(title='datasets', show_lines=False)
    for column in ('dataset', 'folder', 'source', 'prepare', 'size'):
        table.add_column(column, overflow='fold')
    for name, root in roots.items():
        source = DATA_SOURCES[name]
        how = '--download' if source.downloadable else '--from-archive (manual download)'
        table.add_row(name, str(root), source.homepage, how, source.size)
    return table


def prepare_data(dataset: str, root: str | Path | None = None, *, download: bool = False,
                 from_archive: Sequence[str | Path] = (), check: bool = False, any_counts: bool = False,
                 decode: int = 0, console: Console | None = None, progress: bool = True) -> int:
    """Show, download, unpack and check ``dataset`` (a catalog name, or ``'all'``); return the exit status."""
    console = console or Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    official = not any_counts
    if dataset == 'all':
        if from_archive:
            raise InputError('--from-archive unpacks the archives of one dataset: name it instead of all')
        roots = roots_under(root if root is not None else 'data')
    else:
        roots = {dataset: Path(root if root is not None else DATA_ROOTS[dataset])}
    if not (download or from_archive or check):
        if dataset == 'all':
            console.print(overview_table(roots))
            return 0
        console.print(source_text(dataset, roots[dataset]), markup=False, highlight=False)
    for name, folder in roots.items():
        notes: list[str] = []
        if from_archive:
            notes = unpack_archives(name, folder, from_archive, progress)
        elif download:
            if dataset == 'all' and not DATA_SOURCES[name].downloadable:  # one dataset: NotDownloadable says how
                console.print(f'[yellow]{name}[/]: no script can download it; {fix_command(name, folder)}')
                continue
            notes = download_dataset(name, folder, progress)
        for note in notes:
            console.print(f'{name}: {note}')
    checks = check_datasets(roots, official=official, decode=decode)
    return report_checks(checks, official, console)


def report_checks(checks: list[DatasetCheck], official: bool, console: Console, title: str = 'datasets') -> int:
    """Print the table, then for each failing dataset what is wrong, its layout and the fix; 0 when all pass."""
    console.print(check_table(checks, official, title))
    failing = [c for c in checks if not c.ok(official)]
    for check in failing:
        console.print(failure_text(check, official), markup=False, highlight=False)
    passed = len(checks) - len(failing)
    kind = 'the complete official copy' if official else 'readable (--any-counts)'
    console.print(f'{passed} of {len(checks)} datasets {kind}')
    return 0 if not failing else 1
