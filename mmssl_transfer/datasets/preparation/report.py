"""How a check is shown: one rich table for many datasets, and for a failure what is wrong, the expected layout
and the command that fixes it; where each dataset comes from (``prepare_data.py DATASET`` without an action)."""
from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text

from ..catalog import DATA_SOURCES
from .checks import BROKEN, COMPLETE, MISSING, OTHER_COUNTS, DatasetCheck
from .layouts import layout_drawing

STATE_STYLE = {COMPLETE: 'green', OTHER_COUNTS: 'yellow', BROKEN: 'red', MISSING: 'red'}
TOOL = 'python tools/prepare_data.py'


def fix_command(name: str, root: str | Path) -> str:
    """The command that fetches (or explains how to get) ``name`` into ``root``."""
    source = DATA_SOURCES[name]
    if source.downloadable:
        return f'{TOOL} {name} --download --root {root}'
    return f'{TOOL} {name} --from-archive ARCHIVE ... --root {root}  (where to get it: {TOOL} {name})'


def _counts(check: DatasetCheck) -> str:
    parts = []
    for split, (found, want) in check.counts.items():
        parts.append(f'{split} {found}' + ('' if want is None or want == found else f' (official {want})'))
    return '\n'.join(parts)


def _state(check: DatasetCheck, official: bool) -> str:
    style = STATE_STYLE[check.state]
    if check.state == OTHER_COUNTS and not official:
        style = 'green'
    return f'[{style}]{check.state}[/]'


def check_table(checks: list[DatasetCheck], official: bool = True, title: str = 'datasets') -> Table:
    """One row per dataset: state, folder, images per split, classes, the first problem (the fixes follow it:
    :func:`failure_text`)."""
    table = Table(title=title, show_lines=True)
    for column in ('dataset', 'state', 'folder', 'images', 'classes', 'what is wrong'):
        table.add_column(column, overflow='fold')
    for check in checks:
        if check.problems:
            detail = check.problems[0] + (f' (+{len(check.problems) - 1} more)' if len(check.problems) > 1 else '')
        elif check.differences:
            more = f' (+{len(check.differences) - 1} more)' if len(check.differences) > 1 else ''
            detail = check.differences[0] + more + ('; not the official copy' if official else
                                                    '; accepted: --any-counts')
        else:
            detail = '; '.join(check.notes)
        classes = f'{check.classes[0]}/{check.classes[1]}' if check.classes else ''
        folder = str(check.found_at or check.root)
        table.add_row(check.name, _state(check, official), Text(folder), Text(_counts(check)), classes, Text(detail))
    return table


def failure_text(check: DatasetCheck, official: bool = True) -> str:
    """What is wrong with one dataset folder, the layout the readers expect, and the command that fixes it."""
    lines = [f'{check.name}: {check.state} ({check.root})']
    lines += [f'  {p}' for p in check.problems]
    if check.differences and (official or check.problems):
        lines.append('  differs from the official copy:')
        lines += [f'    {d}' for d in check.differences]
    lines.append('expected layout:')
    lines += [f'  {line}' for line in layout_drawing(check.name).rstrip().splitlines()]
    if check.undecodable and len(check.undecodable) == len(check.problems):
        # --download keeps files that are there, so it cannot replace a corrupt one: an intact copy elsewhere can
        lines.append(f'fix: {len(check.undecodable)} image(s) do not decode; get an intact copy into a new folder '
                     f'({fix_command(check.name, "NEW_FOLDER")}) and use --data-root NEW_FOLDER, or replace each '
                     f'listed file with its original and check again with --decode')
    elif check.state == OTHER_COUNTS:
        lines.append(f'fix: a complete copy ({fix_command(check.name, "NEW_FOLDER")}); or, for a toy world or a '
                     'subset on purpose, check with --any-counts')
    else:
        lines.append(f'fix: {fix_command(check.name, check.root)}')
    return '\n'.join(lines)


def source_text(name: str, root: str | Path) -> str:
    """Where ``name`` comes from, how this tool gets it into ``root``, its size and its layout."""
    source = DATA_SOURCES[name]
    lines = [f'{name}: {source.homepage}  (about {source.size} on disk)', f'folder: {root}']
    if source.downloadable:
        how = 'torchvision (with its md5 checks)' if source.torchvision else "the project's checked downloader"
        lines.append(f'download: {TOOL} {name} --download --root {root}   ({how})')
        for remote in source.files:
            checksum = remote.sha256 or ', '.join(f'{a} {h}' for a, h in remote.digests)
            lines.append(f'  + {remote.url} ({checksum}; {remote.checksum_source})')
    for step in source.manual:
        lines.append(f'manual: {step}')
    if source.archives:
        lines.append(f'archives --from-archive knows: {", ".join(source.archives)}')
    if source.counts:
        lines.append('official copy: ' + ', '.join(f'{split} {n}' for split, n in source.counts))
    lines.append('layout:')
    lines += [f'  {line}' for line in layout_drawing(name).rstrip().splitlines()]
    return '\n'.join(lines)
