"""Figures of the summary (matplotlib, Agg backend): ImageNet-correlation scatter grids and utility curves, and
:func:`text_collisions`, which finds the texts of a figure that overlap or run past its edge."""
from __future__ import annotations

import math
import textwrap
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from .label_efficiency import UtilityPoint  # noqa: E402


def save_figure(fig: plt.Figure, stem: Path) -> list[Path]:
    """Write ``stem.png`` and ``stem.pdf``; return both paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix('.png'), stem.with_suffix('.pdf')]
    for path in paths:
        fig.savefig(path, dpi=110, bbox_inches='tight')
    plt.close(fig)
    return paths


#: Pixels (at the figure's dpi) two texts may share, or a text may run past the edge, before it counts.
TEXT_TOLERANCE_PX = 1.0


def text_collisions(fig: plt.Figure) -> list[str]:
    """What a reader would see as garbled text: each pair of drawn texts (titles, axis and tick labels, legend
    entries, annotations) whose boxes overlap, and each text running past the figure's edge, as ``'a' / 'b'``
    and ``'a' clipped by the figure edge``. The figure is drawn once; only the texts actually drawn count (tick
    labels outside the view are never drawn)."""
    with _drawn_texts() as drawn:
        fig.canvas.draw()
    boxes = [(text.get_text().replace('\n', ' '), box) for text, box in drawn if text.figure is fig]
    edge = fig.bbox.padded(TEXT_TOLERANCE_PX)
    found = [f'{a!r} clipped by the figure edge' for a, box in boxes
             if not (edge.x0 <= box.x0 and box.x1 <= edge.x1 and edge.y0 <= box.y0 and box.y1 <= edge.y1)]
    for i, (a, box) in enumerate(boxes):
        for b, other in boxes[i + 1:]:
            overlap = Bbox.intersection(box, other)
            if overlap is not None and min(overlap.width, overlap.height) > TEXT_TOLERANCE_PX:
                found.append(f'{a!r} / {b!r}')
    return found


@contextmanager
def _drawn_texts():
    """Record ``(text, window extent)`` of every non-empty text drawn while inside (matplotlib keeps no such list:
    an axis holds tick labels it does not draw)."""
    drawn: list[tuple[Text, Bbox]] = []
    original = Text.draw

    def recording(text: Text, renderer: Any) -> None:
        original(text, renderer)
        if text.get_visible() and text.get_text().strip():
            drawn.append((text, text.get_window_extent(renderer)))

    Text.draw = recording
    try:
        yield drawn
    finally:
        Text.draw = original


def scatter_grid(title: str, frame: pd.DataFrame, imagenet: pd.Series, correlations: pd.DataFrame,
                 stem: Path) -> list[Path]:
    """One panel per column: downstream metric against ImageNet top-1, one point per backbone (a colour and
    marker each, named in one legend beside the panels, so labels never overlap the points or each other),
    Pearson/Spearman r in the panel title and a least-squares line only where r is defined."""
    columns = list(frame.columns)
    ncols = min(4, max(1, len(columns)))
    nrows = math.ceil(len(columns) / ncols)
    fig, grid, title, legend_cols = _figure_with_legend_column([str(name) for name in frame.index], title,
                                                               3.2 * ncols, 2.8 * nrows, nrows, ncols)
    axes = np.array([[fig.add_subplot(grid[r, c]) for c in range(ncols)] for r in range(nrows)])
    style = backbone_styles(list(frame.index))
    x_all = imagenet.reindex(frame.index)
    for ax, label in zip(axes.flat, columns):
        y = frame[label]
        keep = x_all.notna() & y.notna()
        x, yy = x_all[keep].to_numpy(), y[keep].to_numpy()
        for name, xi, yi in zip(x_all[keep].index, x, yy):
            ax.scatter([xi], [yi], s=18, color=style[name][0], marker=style[name][1])
        r = correlations.loc[label] if label in correlations.index else None
        defined = r is not None and np.isfinite(r['pearson'])
        if defined and np.ptp(x) > 0:
            slope, intercept = np.polyfit(x, yy, 1)
            xs = np.linspace(x.min(), x.max(), 10)
            ax.plot(xs, slope * xs + intercept, color='tab:gray', linewidth=0.8)
        subtitle = (f'r={r["pearson"]:.2f}  rho={r["spearman"]:.2f}' if defined
                    else f'r undefined (n={len(x)})')
        ax.set_title(f'{label}\n{subtitle}', fontsize=8)
        ax.set_xlabel('ImageNet top-1 (%)', fontsize=7)
        ax.tick_params(labelsize=6)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))  # a few ticks: labels like '72.575.0' cannot collide
    for ax in list(axes.flat)[len(columns):]:
        ax.axis('off')
    handles = [Line2D([], [], linestyle='', marker=marker, color=color, label=name)
               for name, (color, marker) in style.items()]
    _legend_in(fig.add_subplot(grid[:, ncols]), legend_cols, handles)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, stem)


#: Inches per legend entry (7 pt text and its spacing) and per character of a legend label.
_LEGEND_LINE, _LEGEND_CHAR = 7 * 1.6 / 72, 0.06


def _figure_with_legend_column(names: list[str], title: str, panels_width: float, panels_height: float,
                               nrows: int, ncols: int) -> tuple[plt.Figure, Any, str, int]:
    """A constrained figure whose grid has ``nrows`` x ``ncols`` panel cells and one more column for the legend
    of ``names`` (an 'outside' figure legend ignored the suptitle and ran into it): as wide as the longest name,
    in as many columns as the panels' height needs, the figure as tall as the legend. Returns the figure, its
    grid, ``title`` wrapped to the figure's width and the legend's number of columns."""
    per_column = max(1, int((panels_height - 0.9) / _LEGEND_LINE))
    legend_cols = max(1, math.ceil(len(names) / per_column))
    legend_width = legend_cols * (0.45 + _LEGEND_CHAR * max((len(n) for n in names), default=1))
    width = panels_width + legend_width
    title = _wrapped(title, width, fontsize=10)
    legend_height = math.ceil(len(names) / legend_cols) * _LEGEND_LINE + 0.25 * (title.count('\n') + 1) + 0.5
    fig = plt.figure(figsize=(width, max(panels_height, legend_height)), layout='constrained')
    grid = fig.add_gridspec(nrows, ncols + 1, width_ratios=[panels_width / ncols] * ncols + [legend_width])
    return fig, grid, title, legend_cols


def _legend_in(ax: plt.Axes, columns: int, handles: list, labels: list[str] | None = None) -> None:
    """The figure's legend in its own (invisible) grid cell, from the top left, in the columns planned for it."""
    ax.axis('off')
    ax.legend(handles=handles, labels=labels, loc='upper left', fontsize=7, frameon=False, borderaxespad=0,
              ncols=columns)


def _wrapped(text: str, width: float, fontsize: float) -> str:
    """``text`` broken into lines that fit ``width`` inches (a character is about 0.6 em wide)."""
    return textwrap.fill(text, width=max(20, int(width * 72 / (0.6 * fontsize))))


#: Markers cycled after the 10 colours, so up to 60 backbones keep a distinct (colour, marker) each.
_MARKERS = ('o', 's', '^', 'D', 'v', 'P')


def backbone_styles(names: list[str]) -> dict[str, tuple[Any, str]]:
    """name -> (colour, marker), distinct for every name, in order."""
    colors = plt.get_cmap('tab10').colors
    return {name: (colors[i % len(colors)], _MARKERS[(i // len(colors)) % len(_MARKERS)])
            for i, name in enumerate(names)}


def utility_plot(curves: dict[str, list[UtilityPoint]], title: str, stem: Path) -> list[Path]:
    """U(n) against the label budget (log scale), one line per backbone; undefined points marked on the axis."""
    names = list(curves) + [f'{n}: undefined' for n, ps in curves.items() if not all(p.defined for p in ps)]
    fig, grid, title, legend_cols = _figure_with_legend_column(names, title, 5.0, 3.4, 1, 1)
    ax = fig.add_subplot(grid[0, 0])
    for name, points in curves.items():
        n = np.array([p.n for p in points])
        u = np.array([p.utility for p in points])
        line, = ax.plot(n, u, marker='o', label=name)
        undefined = ~np.isfinite(u)
        if undefined.any():
            ax.scatter(n[undefined], np.zeros(undefined.sum()), marker='x', color=line.get_color(),
                       label=f'{name}: undefined')
    ax.axhline(0, color='gray', linewidth=0.6)
    ax.set_xscale('log')
    ax.set_xlabel('labels per class (n)')
    ax.set_ylabel('utility U(n) = n_hat / n - 1')
    ax.set_title(title, fontsize=9)
    _legend_in(fig.add_subplot(grid[0, 1]), legend_cols, *ax.get_legend_handles_labels())
    return save_figure(fig, stem)


def feature_property_grid(rows: list[dict[str, str]], title: str, stem: Path) -> list[Path]:
    """One row per image: original | DIP reconstruction | saliency map (alpha 0.5) over the pixels it covers."""
    fig, axes = plt.subplots(len(rows), 3, figsize=(6.6, 2.3 * len(rows)), squeeze=False, layout='constrained')
    for (ax_orig, ax_recon, ax_sal), row in zip(axes, rows):
        original = plt.imread(row['original'])
        ax_orig.imshow(original)
        ax_orig.set_ylabel(f'{row["dataset"]}\n{Path(row["image_id"]).name}', fontsize=6)
        ax_recon.imshow(plt.imread(row['reconstruction']))
        ax_sal.imshow(plt.imread(row.get('saliency_view', row['original'])), extent=(0, 1, 0, 1))
        ax_sal.imshow(plt.imread(row['saliency']), alpha=0.5, extent=(0, 1, 0, 1))
        for ax in (ax_orig, ax_recon, ax_sal):
            ax.set_xticks([])
            ax.set_yticks([])
    for ax, name in zip(axes[0], ('original', 'reconstruction', 'saliency')):
        ax.set_title(name, fontsize=8)
    fig.suptitle(title, fontsize=9)
    return save_figure(fig, stem)
