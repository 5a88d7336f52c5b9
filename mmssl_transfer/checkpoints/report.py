"""Render a :class:`~.convert.ConversionReport` and a format :class:`~.formats.Explanation` as rich tables
(used by tools/convert_checkpoint.py and logs)."""
from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table

from .convert import ConversionReport
from .formats import Explanation
from .safe_load import LoadedCheckpoint
from .zoo import NORMALIZATIONS, find_method

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
        ('converted as layout', report.layout or report.method),
        ('loader', report.loader),
        ('sha256', report.sha256 or '-'),
        ('base channels', f'{report.base_channels} (stage outputs '
                          f'{", ".join(str(4 * report.base_channels * 2 ** i) for i in range(4))})'),
        ('parameters', f'{report.num_params:,}'),
        ('tensors written', str(report.num_tensors)),
        ('input normalisation', _normalisation(report.normalization)),
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


def _normalisation(name: str) -> str:
    mean, std = NORMALIZATIONS.get(name, ((), ()))
    return f'{name} mean={list(mean)} std={list(std)}' if mean else name or '-'


def explanation_tables(loaded: LoadedCheckpoint, explanation: Explanation) -> Group:
    """What the file holds and the outcome (one table), then every zoo row and why it matches or not."""
    summary = Table(title=f'format detection: {explanation.source}', show_header=True, header_style='bold')
    summary.add_column('field', style='cyan', no_wrap=True)
    summary.add_column('value', overflow='fold')
    detection = explanation.detection
    if detection is None:
        outcome = f'refused: {explanation.refusal}'
    else:
        outcome = f'{detection.method}; {detection.detected_by}'
    rows = [
        ('loader', loaded.loader),
        ('container (top-level keys)', _keys(explanation.top_level_keys)),
        ('most common key prefixes', ', '.join(f'{p} x{n}' for p, n in explanation.prefixes) or '-'),
        ('head keys', _keys(explanation.head_keys)),
        ('recorded metadata', ', '.join(f'{k}={v}' for k, v in explanation.metadata.items()) or '-'),
        ('outcome', outcome),
        ('input normalisation', _normalisation(detection.normalization) if detection else '-'),
    ]
    for field, value in rows:
        summary.add_row(field, value)
    candidates = Table(title='zoo rows', show_header=True, header_style='bold')
    for column in ('method', 'container', 'layout', 'head markers', 'file name', 'verdict'):
        candidates.add_column(column, overflow='fold')
    mark = {True: 'yes', False: 'no'}
    for row in explanation.rows:
        candidates.add_row(row.method, row.container, mark[row.layout_ok], mark[row.markers_ok] if row.layout_ok
                           else '-', row.named or '-', row.verdict)
    return Group(summary, candidates)


def print_explanation(loaded: LoadedCheckpoint, explanation: Explanation, console: Console | None = None) -> None:
    """Print :func:`explanation_tables` to ``console`` (stdout by default)."""
    (console or Console()).print(explanation_tables(loaded, explanation))
