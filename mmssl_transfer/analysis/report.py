"""Write a :class:`~.summary.Summary` to disk: CSV and Markdown per table, figures (PNG + PDF), and one
self-contained HTML report (tables inline, figures embedded as base64 PNG) that opens without a network.

:func:`summarize_results` is the whole analysis of a result store, as ``tools/summarize.py`` runs it: load,
compute, print, write.
"""
from __future__ import annotations

import base64
import html
import math
import sys
from pathlib import Path

import pandas as pd
from rich.console import Console

from .categories import category_figure
from .correlation import MIN_CORRELATION_N
from .formatting import (ANCHORS_TITLE, TOY_NOTICE, anchors_frame, comparison_notes, comparison_wide, display_frame,
                         format_cell, markdown_table, print_summary, utility_frame)
from .plots import feature_property_grid, scatter_grid, utility_plot
from .summary import Summary, load_failures, load_results, load_suite_info, summarize

_CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 24px; color: #1b1b1b;
       background: #ffffff; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #d0d0d0; padding: 3px 7px; text-align: right; }
th { background: #eef2f7; } td:first-child, th:first-child { text-align: left; }
.best { font-weight: bold; background: #c8efc8; } .second { background: #fff0b3; }
.notice { background: #ffe4e1; border: 1px solid #e08080; padding: 8px 12px; font-weight: bold; }
.failed { color: #a00000; } img { max-width: 100%; border: 1px solid #eee; margin: 6px 0; }
.neg { color: #b00000; } .pos { color: #006000; }
"""


#: Why the published-row check is in every summary: it validates the correlation method, not the user's runs.
FEATURE_CHECK_NOTE = ('Not about your runs: a check of the correlation method this summary uses (logit '
                      'transform, then Pearson across backbones). It recomputes the "Corr. to ImageNet" row of the '
                      "paper's feature-property table (ECE, LPIPS, colour error, attentive diffusion) from the "
                      "paper's own published numbers; 'within rounding' says whether each published r is "
                      'reproduced within the spread the rounding of those numbers allows.')


def summarize_results(results: str | Path, out: str | Path, compare: str | None = None,
                      console: Console | None = None, toy: bool = False, n_boot: int = 2000,
                      rank_variants: bool = False) -> dict[str, Path]:
    """Summarise a result store (or ``'paper'``) into ``out``; print the tables; return the written paths.

    The console prints at its natural width when output is piped (no wrapping at 80 columns, no colour codes).
    """
    console = console or Console(highlight=False, width=None if sys.stdout.isatty() else 10_000)
    loaded = load_results(results)
    summary = summarize(loaded, source=str(results), compare=compare, n_boot=n_boot,
                        failures=load_failures(results), rank_variants=rank_variants)
    summary.toy = toy or bool(load_suite_info(results).get('toy'))
    print_summary(summary, console)
    return write_summary(summary, out)


def write_summary(summary: Summary, out_dir: str | Path) -> dict[str, Path]:
    """Write everything; return the main paths (``report``, ``markdown``, ...)."""
    out = Path(out_dir)
    (out / 'tables').mkdir(parents=True, exist_ok=True)
    figures = out / 'figures'
    md = [f'# Transfer summary\n\nSource: `{summary.source}`\n']
    if summary.toy:
        md.append(f'> **{TOY_NOTICE}**\n')
    for table in summary.tables:
        name = table.spec.name
        table.values.to_csv(out / 'tables' / f'{name}.csv', index_label='backbone')
        if table.ci.notna().any().any():
            table.ci.to_csv(out / 'tables' / f'{name}_ci.csv', index_label='backbone')
        md += [f'## {table.spec.title}\n', markdown_table(display_frame(table)), '',
               'Best per column in **bold**, second best in _italics_.\n']
        if table.comparison is not None and not table.comparison.empty:
            table.comparison.to_csv(out / 'tables' / f'{name}_vs_paper.csv', index=False)
            md += ['### Ours vs paper (paper-protocol runs only)\n', markdown_table(comparison_wide(table.comparison)),
                   '', *[f'- {line}' for line in comparison_notes(table.comparison)], '']
        if table.correlations is not None:
            table.correlations.to_csv(out / 'tables' / f'{name}_imagenet_correlation.csv', index_label='column')
            md += ['### Correlation with ImageNet top-1\n',
                   markdown_table(_corr_strings(table.correlations), 'column'), '']
            table.figures = scatter_grid(f'{table.spec.title} vs ImageNet top-1', table.values[
                [c for c in table.values.columns if c != table.spec.average]], summary.imagenet,
                table.correlations, figures / f'{name}_vs_imagenet')
            summary.figures += table.figures
    if not summary.anchors.empty:
        summary.anchors.to_csv(out / 'tables' / 'vit_dense_anchors.csv', index=False)
        md += [f'## {ANCHORS_TITLE}\n', markdown_table(anchors_frame(summary.anchors)), '']
    if not summary.rankings.empty:
        summary.rankings.to_csv(out / 'rankings.csv', index_label='backbone')
        md += ['## Rankings (mean rank per table, 1 = best)\n', markdown_table(summary.rankings), '']
    md += _write_categories(summary, out, figures)
    utility_rows = []
    for dataset, curves in summary.utility.items():
        for backbone, points in curves.items():
            utility_rows += [{'dataset': dataset, 'backbone': backbone,
                              'labels_per_class': int(p.n) if p.n.is_integer() else p.n, 'accuracy': p.accuracy,
                              'n_hat': p.n_hat, 'utility': p.utility, 'undefined': p.undefined} for p in points]
        summary.figures += utility_plot(curves, f'Label-efficiency utility on {dataset}',
                                        figures / f'utility_{dataset}')
    if utility_rows:
        utility = pd.DataFrame(utility_rows)
        utility.to_csv(out / 'utility.csv', index=False)
        md += ['## Label-efficiency utility U(n) = n_hat/n - 1 (Newell & Deng)\n']
        md += [f'### {dataset}\n\n' + markdown_table(utility_frame(curves)) + '\n'
               for dataset, curves in summary.utility.items()]
    for backbone, rows in summary.feature_images.items():
        slug = ''.join(ch if ch.isalnum() or ch in '-_' else '_' for ch in backbone)
        summary.figures += feature_property_grid(rows, f'{backbone}: what the features retain, where they attend',
                                                 figures / f'feature_properties_{slug}')
    summary.feature_correlations.to_csv(out / 'paper_corr_to_imagenet_check.csv', index_label='column')
    md += ['## Check: the paper\'s "Corr. to ImageNet" row recomputed from its published numbers\n',
           FEATURE_CHECK_NOTE + '\n',
           markdown_table(summary.feature_correlations.map(
               lambda v: v if isinstance(v, (str, bool)) else f'{v:.4f}').astype(str), 'column'), '']
    if summary.failures:
        md += ['## Failed cells\n'] + [f'- `{f.get("cell_id")}`: {str(f.get("error", "")).splitlines()[0]} '
                                       f'(log: `{f.get("log", "")}`)' for f in summary.failures] + ['']
    (out / 'summary.md').write_text('\n'.join(md), encoding='utf-8')
    report = out / 'report.html'
    report.write_text(render_html(summary), encoding='utf-8')
    return {'report': report, 'markdown': out / 'summary.md', 'tables': out / 'tables', 'figures': figures}


def _write_categories(summary: Summary, out: Path, figures: Path) -> list[str]:
    """Kotar et al.'s categories and the pretraining-data grouping: CSVs, the four-panel figure, Markdown."""
    md: list[str] = []
    analysis = summary.categories
    if analysis is not None and not analysis.correlations.empty:
        analysis.correlations.to_csv(out / 'tables' / 'categories_imagenet_correlation.csv', index_label='category')
        analysis.rankings.to_csv(out / 'tables' / 'categories_rankings.csv', index_label='backbone')
        md += ["## Kotar et al.'s task categories\n", '### Correlation of the category score with ImageNet top-1\n',
               markdown_table(_category_correlations(analysis), 'category'), '',
               '### Mean rank per category (1 = best)\n', markdown_table(analysis.rankings.map(format_cell)), '',
               '- best: ' + '; '.join(f'{c}: {b}' for c, b in analysis.best.items()), '']
        if not analysis.gains.empty:
            analysis.gains.to_csv(out / 'tables' / 'categories_gain_over_supervised.csv', index_label='backbone')
            md += ['### Mean relative gain over supervised per category (%)\n',
                   markdown_table(analysis.gains.map(format_cell)), '']
        summary.figures += category_figure(analysis, figures / 'categories')
    if not summary.pretraining.empty:
        summary.pretraining.to_csv(out / 'tables' / 'by_pretraining_data.csv')
        md += ['## By pretraining data (mean primary metric)\n',
               markdown_table(summary.pretraining.map(format_cell).reset_index().set_index('category'),
                              'category'), '']
    return md


def _category_correlations(analysis) -> pd.DataFrame:
    """The correlation strings, with Kotar et al.'s finding beside them when --compare asked for it."""
    frame = _corr_strings(analysis.correlations)
    return frame.join(analysis.reference) if not analysis.reference.empty else frame


def _corr_strings(frame: pd.DataFrame) -> pd.DataFrame:
    rows = {}
    for label, r in frame.iterrows():
        n = int(r['n'])
        rows[label] = {'Pearson r [95% CI]': _with_interval(r['pearson'], r['pearson_lo'], r['pearson_hi'], n),
                       'Spearman rho [95% CI]': _with_interval(r['spearman'], r['spearman_lo'], r['spearman_hi'], n),
                       'n': str(n)}
    return pd.DataFrame.from_dict(rows, orient='index')


def _with_interval(value: float, lo: float, hi: float, n: int) -> str:
    """``r [lo, hi]``, or why r is undefined (fewer backbones than the stated minimum, or a constant side)."""
    if value is None or math.isnan(value):
        return f'undefined (n < {MIN_CORRELATION_N})' if n < MIN_CORRELATION_N else 'undefined (a constant side)'
    return f'{value:.2f} [{lo:.2f}, {hi:.2f}]'


# -- HTML -----------------------------------------------------------------------------------------------------
def render_html(summary: Summary) -> str:
    """The whole report as one HTML string (no external resources)."""
    parts = ['<h1>mmssl-transfer: how well do the backbones transfer?</h1>',
             f'<p>Source: <code>{html.escape(str(summary.source))}</code></p>']
    if summary.toy:
        parts.append(f'<p class="notice">{html.escape(TOY_NOTICE)}</p>')
    if summary.failures:
        items = ''.join(f'<li class="failed"><code>{html.escape(str(f.get("cell_id")))}</code>: '
                        f'{html.escape(str(f.get("error", "")).splitlines()[0])}</li>' for f in summary.failures)
        parts.append(f'<h2>Failed cells</h2><ul>{items}</ul>')
    for table in summary.tables:
        parts.append(f'<h2>{html.escape(table.spec.title)}</h2>')
        parts.append(_html_marked_table(table))
        parts.append('<p>Best per column: green, bold; second best: yellow.</p>')
        if table.comparison is not None and not table.comparison.empty:
            parts.append('<h3>Ours vs paper (ours, paper, ours - paper; paper-protocol runs only)</h3>')
            parts.append(_html_table(comparison_wide(table.comparison)))
            notes = ''.join(f'<li>{html.escape(line)}</li>' for line in comparison_notes(table.comparison))
            parts.append(f'<ul>{notes}</ul>')
        if table.correlations is not None:
            parts.append('<h3>Correlation with ImageNet top-1 (logit-transformed)</h3>')
            parts.append(_html_table(_corr_strings(table.correlations)))
        parts += [_img(p) for p in table.figures if p.suffix == '.png']
    if not summary.anchors.empty:
        parts.append(f'<h2>{html.escape(ANCHORS_TITLE)}</h2>')
        parts.append(_html_table(anchors_frame(summary.anchors)))
    if not summary.rankings.empty:
        parts.append('<h2>Rankings (mean rank per table, 1 = best)</h2>')
        parts.append(_html_table(summary.rankings.map(lambda v: format_cell(v))))
    analysis = summary.categories
    if analysis is not None and not analysis.correlations.empty:
        parts.append("<h2>Kotar et al.'s task categories</h2>")
        parts.append('<h3>Correlation of the category score with ImageNet top-1</h3>')
        parts.append(_html_table(_category_correlations(analysis)))
        parts.append('<h3>Mean rank per category (1 = best)</h3>')
        parts.append(_html_table(analysis.rankings.map(format_cell)))
        if not analysis.gains.empty:
            parts.append('<h3>Mean relative gain over supervised per category (%)</h3>')
            parts.append(_html_table(analysis.gains.map(format_cell)))
        parts += [_img(p) for p in summary.figures if p.suffix == '.png' and p.name == 'categories.png']
    if not summary.pretraining.empty:
        parts.append('<h2>By pretraining data (mean primary metric)</h2>')
        parts.append(_html_table(summary.pretraining.map(format_cell)))
    for dataset, curves in summary.utility.items():
        parts.append(f'<h2>Label-efficiency utility on {html.escape(dataset)}</h2>')
        parts.append(_html_table(utility_frame(curves)))
    parts += [_img(p) for p in summary.figures if p.suffix == '.png' and p.name.startswith('utility_')]
    pictures = [p for p in summary.figures if p.suffix == '.png' and p.name.startswith('feature_properties_')]
    if pictures:
        parts.append('<h2>Feature properties per backbone: original | DIP reconstruction | saliency</h2>')
        parts += [_img(p) for p in pictures]
    parts.append('<h2>Check: the paper\'s "Corr. to ImageNet" row, recomputed from its published numbers</h2>')
    parts.append(f'<p>{html.escape(FEATURE_CHECK_NOTE)}</p>')
    parts.append(_html_table(summary.feature_correlations.map(
        lambda v: str(v) if isinstance(v, (bool, str)) else f'{v:.4f}')))
    body = '\n'.join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<title>mmssl-transfer report</title><style>{_CSS}</style></head><body>\n{body}\n</body></html>\n')


def _html_marked_table(table) -> str:
    shown = display_frame(table, mark='none')
    head = ''.join(f'<th>{html.escape(str(c))}</th>' for c in ['backbone', *shown.columns])
    rows = []
    for row in shown.index:
        cells = ''.join(f'<td class="{table.marks.at[row, c]}">{html.escape(shown.at[row, c])}</td>'
                        for c in shown.columns)
        rows.append(f'<tr><td>{html.escape(str(row))}</td>{cells}</tr>')
    return f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _html_table(frame: pd.DataFrame) -> str:
    """An HTML table whose index name heads the first column (pandas would add a row of its own for it)."""
    if frame.index.name is None:
        return frame.to_html(escape=True, border=0, na_rep='-')
    return frame.reset_index().to_html(escape=True, border=0, na_rep='-', index=False)


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode('ascii')
    return f'<div><img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}"></div>'
