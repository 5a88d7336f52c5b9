"""Figures of the summary (matplotlib, Agg backend): ImageNet-correlation scatter grids and utility curves, and
:func:`text_collisions`, which finds the texts of a figure that overlap or run past its edge."""
from __future__ import annotations

import math
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
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols + 2.2, 2.8 * nrows), squeeze=False,
                             layout='constrained')  # tight_layout gave up on long titles
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
    fig.legend(handles=handles, loc='outside right upper', fontsize=7, frameon=False)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, stem)


#: Markers cycled after the 10 colours, so up to 60 backbones keep a distinct (colour, marker) each.
_MARKERS = ('o', 's', '^', 'D', 'v', 'P')


def backbone_styles(names: list[str]) -> dict[str, tuple[Any, str]]:
    """name -> (colour, marker), distinct for every name, in order."""
    colors = plt.get_cmap('tab10').colors
    return {name: (colors[i % len(colors)], _MARKERS[(i // len(colors)) % len(_MARKERS)])
            for i, name in enumerate(names)}


def utility_plot(curves: dict[str, list[UtilityPoint]], title: str, stem: Path) -> list[Path]:
    """U(n) against the label budget (log scale), one line per backbone; undefined points marked on the axis."""
    fig, ax = plt.subplots(figsize=(5, 3.4), layout='constrained')
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
    ax.legend(fontsize=6)
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
