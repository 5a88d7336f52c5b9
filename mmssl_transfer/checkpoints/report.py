"""Render a :class:`~.convert.ConversionReport` as a rich table (used by tools/convert_checkpoint.py and logs)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .convert import ConversionReport
from .zoo import find_method

_SHOWN = 6


def _keys(keys: list[str]) -> str:
    if not keys:
        return '0'
    head = ', '.join(keys[:_SHOWN])
    return f'{len(keys)}: {head}' + (f', ... (+{len(keys) - _SHOWN})' if len(keys) > _SHOWN else '')


def report_table(report: ConversionReport, title: str | None = None) -> Table:
    """A two-column rich table of the report: method, evidence, width, counts and key lists."""
    spec = find_method(report.method)
    table = Table(title=title or f'checkpoint conversion: {report.method}', show_header=True,
                  header_style='bold')
    table.add_column('field', style='cyan', no_wrap=True)
    table.add_column('value', overflow='fold')
    rows = [
        ('source', report.source),
        ('method', f'{report.method} ({spec.paper_name}, {spec.family})' if spec else report.method),
        ('detected by', report.detected_by),
        ('candidates', ', '.join(report.candidates)),
        ('loader', report.loader),
        ('sha256', report.sha256 or '-'),
        ('base channels', f'{report.base_channels} (stage outputs '
                          f'{", ".join(str(4 * report.base_channels * 2 ** i) for i in range(4))})'),
        ('parameters', f'{report.num_params:,}'),
        ('tensors written', str(report.num_tensors)),
        ('input normalisation', f'{report.normalization}' + (f' mean={spec.mean} std={spec.std}' if spec else '')),
        ('kept', _keys(report.kept)),
        ('dropped', _keys(report.dropped)),
        ('missing', _keys(report.missing)),
        ('unexpected', _keys(report.unexpected)),
        ('filled (BN counters)', _keys(report.filled)),
        ('other top-level entries', _keys(report.ignored_entries)),
    ]
    for field, value in rows:
        table.add_row(field, value)
    return table


def print_report(report: ConversionReport, console: Console | None = None) -> None:
    """Print :func:`report_table` to ``console`` (stdout by default)."""
    (console or Console()).print(report_table(report))
