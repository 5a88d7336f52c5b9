"""Show a :class:`~.summary.Summary`: cell text, marked tables as pandas frames and Markdown, and the rich
terminal view (best in bold green, second in yellow). Nothing here computes a number or writes a file."""
from __future__ import annotations

import math
import re

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from .label_efficiency import UtilityPoint
from .summary import Summary, TableResult
from .tables import FRACTION, column_spec

TOY_NOTICE = 'Toy numbers mean nothing: the toy world only exercises every code path on tiny data.'


def format_cell(value: float, ci: float = math.nan, digits: int = 2) -> str:
    """``value`` (``± ci`` when there is one) with ``digits`` decimals; ``-`` for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '-'
    text = f'{value:.{digits}f}'
    return f'{text} ± {ci:.{digits}f}' if isinstance(ci, float) and not math.isnan(ci) else text


def display_frame(table: TableResult, mark: str = 'markdown') -> pd.DataFrame:
    """Formatted strings; best and second best marked (Markdown: **bold** / _italic_; rich: styles)."""
    out = pd.DataFrame(index=table.values.index, columns=table.values.columns, dtype=object)
    for row in table.values.index:
        for col in table.values.columns:
            column = column_spec(table.spec, col)
            digits = 4 if column is not None and column.scale == FRACTION else 2
            text = format_cell(table.values.at[row, col], table.ci.at[row, col], digits)
            m = table.marks.at[row, col]
            if mark == 'markdown':
                text = f'**{text}**' if m == 'best' else f'_{text}_' if m == 'second' else text
            elif mark == 'rich':
                text = f'[bold green]{text}[/]' if m == 'best' else f'[yellow]{text}[/]' if m == 'second' else text
            out.at[row, col] = text
    return out


def format_count(value: float) -> str:
    """A count as people write it: ``2`` for 2.0, ``2.5`` for a fractional one, ``-`` for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '-'
    return str(int(value)) if float(value).is_integer() else f'{value:g}'


def utility_frame(curves: dict[str, list[UtilityPoint]]) -> pd.DataFrame:
    """One dataset's label-efficiency rows as text, indexed by backbone: labels per class as a count, n_hat
    with one decimal, U(n) or why it is undefined."""
    rows = [{'backbone': b, 'labels/class': format_count(p.n), 'accuracy': format_cell(p.accuracy),
             'n_hat': format_cell(p.n_hat, digits=1) if p.defined else '-',
             'U(n)': format_cell(p.utility) if p.defined else f'undefined ({p.undefined})'}
            for b, points in curves.items() for p in points]
    return pd.DataFrame(rows).set_index('backbone')


def markdown_table(frame: pd.DataFrame, index_name: str = 'backbone') -> str:
    """A GitHub Markdown table of a frame of strings/numbers."""
    header = [index_name] + [str(c) for c in frame.columns]
    align = ['---:' if all(_numeric(v) for v in frame[c]) else '---' for c in frame.columns]  # text left
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '|'.join(['---'] + align) + '|']
    for row, values in frame.iterrows():
        cells = [str(row)] + [v if isinstance(v, str) else format_cell(float(v), digits=3) for v in values]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def _numeric(value) -> bool:
    """A number, or a number as the tables print it (``**77.00**``, ``73.00 ± 0.60``, ``-`` for none)."""
    return not isinstance(value, str) or value == '-' or bool(re.match(r'^[*_]*[-+]?(\d|nan|inf)', value))


#: How a cell that is not diffed against the paper shows in the diff column (status -> mark).
NOT_DIFFED_MARKS = {'variant': '(variant)', 'protocol unknown': '(unknown)', 'not comparable': '(n/c)'}


def comparison_wide(comparison: pd.DataFrame) -> pd.DataFrame:
    """Long ours/paper/diff records as one row per backbone, three text columns per table column: ours, paper,
    and ours - paper, or for a cell not diffed the mark of its status (:data:`NOT_DIFFED_MARKS`)."""
    diff = [format_cell(d) if s == 'compared' else NOT_DIFFED_MARKS.get(s, f'({s})')
            for d, s in zip(comparison['diff'], comparison['status'])]
    shown = comparison.assign(ours=comparison['ours'].map(format_cell), paper=comparison['paper'].map(format_cell),
                              diff=diff)
    wide = shown.pivot(index='backbone', columns='column', values=['ours', 'paper', 'diff'])
    wide = wide.swaplevel(axis=1)
    order = list(dict.fromkeys(comparison['column']))
    wide = wide.reindex(columns=pd.MultiIndex.from_product([order, ['ours', 'paper', 'diff']]))
    wide.columns = [f'{c} {k}' for c, k in wide.columns]
    return wide.fillna('-')


def comparison_notes(comparison: pd.DataFrame) -> list[str]:
    """What a comparison diffed (first line) and, one line per reason, which cells it did not and why."""
    compared = comparison[comparison['status'] == 'compared']
    if len(compared):
        lines = [f'{_cells(len(compared))} of paper-protocol runs diffed, mean |ours - paper| = '
                 f'{compared["diff"].abs().mean():.2f}']
    else:
        lines = ['no cell diffed: no paper-protocol run has a comparable published number']
    rest = comparison[comparison['status'] != 'compared']
    for (status, reason), group in rest.groupby(['status', 'reason'], sort=False):
        which = group['column'] if status == 'not comparable' else group['backbone']
        lines.append(f'not diffed ({status}): {", ".join(dict.fromkeys(which))} ({_cells(len(group))}): {reason}')
    return lines


def comparison_rich(table: TableResult) -> Table:
    """The per-cell comparison as a terminal table: backbone, column, ours, paper, ours - paper (or why not)."""
    shown = Table(title=f'{table.spec.title}: ours vs paper', title_justify='left')
    for name, justify in (('backbone', 'left'), ('column', 'left'), ('ours', 'right'), ('paper', 'right'),
                          ('ours - paper', 'right')):
        shown.add_column(name, justify=justify, no_wrap=True)
    for record in table.comparison.itertuples(index=False):
        diff = (format_cell(record.diff) if record.status == 'compared'
                else NOT_DIFFED_MARKS.get(record.status, f'({record.status})'))
        shown.add_row(escape(str(record.backbone)), escape(str(record.column)), format_cell(record.ours),
                      format_cell(record.paper), diff)
    return shown


def _cells(n: int) -> str:
    return f'{n} cell' if n == 1 else f'{n} cells'


def _print_whole(console: Console, table: Table) -> None:
    """Print ``table`` at its natural width even where that is wider than the console.

    rich fits a table to the console by squeezing columns, down to nothing: with long variant labels an 80-column
    console (or a log file) showed the calibration table without a single number. A line too long for a terminal
    wraps there instead, and a log keeps every value.
    """
    natural = Measurement.get(console, console.options.update_width(10_000), table).maximum
    width = console.width
    console.width = max(width, natural)
    try:
        console.print(table)
    finally:
        console.width = width


#: The heading of the anchors table (terminal, Markdown, HTML).
ANCHORS_TITLE = 'ViT dense runs beside published anchors (never diffed unless like-for-like)'


def anchors_frame(anchors: pd.DataFrame) -> pd.DataFrame:
    """The anchors table as text, indexed by backbone: numbers with 3 decimals, ``-`` where nothing is diffed."""
    shown = anchors.copy()
    for column in ('ours', 'anchor', 'ours - anchor'):
        shown[column] = shown[column].map(lambda v: format_cell(v, digits=3))
    return shown.set_index('backbone')


def anchors_rich(anchors: pd.DataFrame) -> Table:
    """The anchors table for the terminal."""
    shown = anchors_frame(anchors)
    table = Table(title=ANCHORS_TITLE, title_justify='left')
    for name in ['backbone', *shown.columns]:
        table.add_column(name, justify='right' if name in ('ours', 'anchor', 'ours - anchor') else 'left')
    for row, values in shown.iterrows():
        table.add_row(escape(str(row)), *[escape(str(v)) for v in values])
    return table


def print_summary(summary: Summary, console: Console | None = None) -> None:
    """The tables in the terminal (rich): best in bold green, second in yellow."""
    console = console or Console()
    for table in summary.tables:
        shown = display_frame(table, mark='rich')
        rich_table = Table(title=table.spec.title, title_justify='left')
        rich_table.add_column('backbone', no_wrap=True, min_width=max(map(len, map(str, shown.index))))
        for col in shown.columns:
            rich_table.add_column(str(col), justify='right')
        for row, values in shown.iterrows():
            rich_table.add_row(escape(str(row)), *values.tolist())  # '[variant]' in a label is text, not markup
        _print_whole(console, rich_table)
        if table.comparison is not None and not table.comparison.empty:
            _print_whole(console, comparison_rich(table))
            first, *rest = comparison_notes(table.comparison)
            console.print(f'  vs paper: {escape(first)}', soft_wrap=True)
            for line in rest:
                console.print(f'    {escape(line)}', soft_wrap=True)
    if not summary.anchors.empty:
        _print_whole(console, anchors_rich(summary.anchors))
    if not summary.rankings.empty:
        console.print('average rank (1 = best): ' + ', '.join(
            f'{escape(str(b))} {r:.2f}' for b, r in summary.rankings['average rank'].items()))
