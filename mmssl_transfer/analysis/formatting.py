"""Show a :class:`~.summary.Summary`: cell text, marked tables as pandas frames and Markdown, and the rich
terminal view (best in bold green, second in yellow). Nothing here computes a number or writes a file."""
from __future__ import annotations

import math

import pandas as pd
from rich.console import Console
from rich.table import Table

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


def markdown_table(frame: pd.DataFrame, index_name: str = 'backbone') -> str:
    """A GitHub Markdown table of a frame of strings/numbers."""
    header = [index_name] + [str(c) for c in frame.columns]
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '|'.join(['---'] + ['---:'] * len(frame.columns)) + '|']
    for row, values in frame.iterrows():
        cells = [str(row)] + [v if isinstance(v, str) else format_cell(float(v), digits=3) for v in values]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def comparison_wide(comparison: pd.DataFrame) -> pd.DataFrame:
    """Long ours/paper/diff records as one row per backbone, three columns per table column."""
    wide = comparison.pivot(index='backbone', columns='column', values=['ours', 'paper', 'diff'])
    wide = wide.swaplevel(axis=1)
    order = list(dict.fromkeys(comparison['column']))
    wide = wide.reindex(columns=pd.MultiIndex.from_product([order, ['ours', 'paper', 'diff']]))
    wide.columns = [f'{c} {k}' for c, k in wide.columns]
    return wide


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
            rich_table.add_row(str(row), *values.tolist())
        console.print(rich_table)
        if table.comparison is not None and not table.comparison.empty:
            diff = table.comparison['diff']
            console.print(f'  vs paper: {len(diff)} cells, mean |ours - paper| = {diff.abs().mean():.2f}')
    if not summary.rankings.empty:
        console.print('average rank (1 = best): ' + ', '.join(
            f'{b} {r:.2f}' for b, r in summary.rankings['average rank'].items()))
