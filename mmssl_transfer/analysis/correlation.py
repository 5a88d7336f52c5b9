"""Correlation of downstream performance with ImageNet top-1, as in the paper.

Transform (what reproduces the paper's numbers): ImageNet top-1 and every bounded metric are
logit-transformed on their own scale - ``logit(x / 100)`` for percentages (accuracy, AP, ECE, attentive
diffusion), ``logit(x)`` for fractions (mIoU, LPIPS) - and unbounded metrics stay as they are. Then Pearson
(and Spearman, which no monotone transform changes) across backbones. For downstream tables, metrics where
lower is better are negated after that (errors: negated, not transformed), so a positive r always reads
"better on ImageNet, better here".

Checked against the paper: :func:`paper_feature_correlations` recomputes the "Corr. to ImageNet" row of the
feature-property table (``paper_reference/feature_properties.csv``) from the published, rounded numbers: 9 of its
11 entries come out equal to two decimals; the other two (FT scaled -0.5953 vs -0.59, LPIPS Alex -0.4919 vs
-0.51) lie within the spread that the rounding of the published inputs (IN top-1 to 0.1, LPIPS to 0.01)
allows, see :func:`rounding_interval`. Pearson on raw numbers matches only 3 of 11.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .paper_reference import load_reference, reference_csv
from .tables import FRACTION, PERCENT, UNBOUNDED

#: Scales of the feature-property columns of the paper (ECE and attentive diffusion in %, LPIPS in [0, 1]).
FEATURE_SCALES = {'Lin unscaled': PERCENT, 'Lin scaled': PERCENT, 'FT unscaled': PERCENT, 'FT scaled': PERCENT,
                  'LPIPS Alex': FRACTION, 'LPIPS VGG': FRACTION, 'LPIPS Squeeze': FRACTION,
                  'Err R': UNBOUNDED, 'Err G': UNBOUNDED, 'Err B': UNBOUNDED, 'Attn diffusion': PERCENT}


#: Fewest backbones a correlation is reported for: below it r is "undefined" (with 3 or 4 points a bootstrap
#: interval collapses to e.g. [-1.00, -1.00] and reads like a result; the paper's tables have 14).
MIN_CORRELATION_N = 5

#: Bounded values are clipped this far inside (0, 1) before the logit (a toy 100% would be +inf).
LOGIT_EPS = 1e-4


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), LOGIT_EPS, 1 - LOGIT_EPS)
    return np.log(p / (1 - p))


def transform(values: np.ndarray, scale: str, lower_is_better: bool = False) -> np.ndarray:
    """Logit for bounded scales, identity for unbounded ones; negate when lower is better."""
    values = np.asarray(values, dtype=float)
    out = {PERCENT: lambda v: logit(v / 100.0), FRACTION: logit, UNBOUNDED: lambda v: v}[scale](values)
    return -out if lower_is_better else out


@dataclass
class Correlation:
    """Pearson and Spearman r with bootstrap 95% intervals over ``n`` backbones."""

    pearson: float
    spearman: float
    pearson_ci: tuple[float, float]
    spearman_ci: tuple[float, float]
    n: int

    def as_dict(self) -> dict[str, float]:
        return {'pearson': self.pearson, 'pearson_lo': self.pearson_ci[0], 'pearson_hi': self.pearson_ci[1],
                'spearman': self.spearman, 'spearman_lo': self.spearman_ci[0],
                'spearman_hi': self.spearman_ci[1], 'n': self.n}


def correlate(x: np.ndarray, y: np.ndarray, n_boot: int = 2000, seed: int = 0) -> Correlation:
    """Pearson and Spearman r of already-transformed ``x`` and ``y``, with percentile bootstrap intervals
    (backbones resampled with replacement; resamples with a constant side are skipped). Undefined (NaN) below
    :data:`MIN_CORRELATION_N` backbones or when a side is constant."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = len(x)
    if n < MIN_CORRELATION_N or np.ptp(x) == 0 or np.ptp(y) == 0:
        nan = (np.nan, np.nan)
        return Correlation(np.nan, np.nan, nan, nan, n)
    pearson = float(stats.pearsonr(x, y)[0])
    spearman = float(stats.spearmanr(x, y)[0])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    xs, ys = x[idx], y[idx]
    ok = (np.ptp(xs, axis=1) > 0) & (np.ptp(ys, axis=1) > 0)
    xs, ys = xs[ok], ys[ok]
    boot_p = _rowwise_pearson(xs, ys)
    boot_s = _rowwise_pearson(stats.rankdata(xs, axis=1), stats.rankdata(ys, axis=1))
    return Correlation(pearson, spearman, _interval(boot_p), _interval(boot_s), n)


def _rowwise_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denom = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid='ignore', divide='ignore'):
        return (a * b).sum(axis=1) / denom


def _interval(samples: np.ndarray) -> tuple[float, float]:
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return (np.nan, np.nan)
    lo, hi = np.percentile(samples, [2.5, 97.5])
    return float(lo), float(hi)


def imagenet_top1(methods: dict[str, str]) -> pd.Series:
    """Row label -> ImageNet linear top-1 (%) of its zoo method (NaN for methods the zoo does not know)."""
    from mmssl_transfer.checkpoints import ZOO
    return pd.Series({row: (ZOO[m].imagenet_top1 if m in ZOO and ZOO[m].imagenet_top1 else np.nan)
                      for row, m in methods.items()}, dtype=float)


def correlate_table(frame: pd.DataFrame, imagenet: pd.Series, scales: dict[str, str],
                    lower_is_better: dict[str, bool], n_boot: int = 2000, seed: int = 0,
                    orient: bool = True) -> pd.DataFrame:
    """One row per column of ``frame``: Pearson/Spearman of logit(IN top-1) with the transformed column.

    ``orient=False`` keeps lower-is-better metrics un-negated (the paper's feature-property row).
    """
    x_all = transform(imagenet.reindex(frame.index).to_numpy(), PERCENT)
    rows = {}
    for label in frame.columns:
        y = transform(frame[label].to_numpy(), scales[label], orient and lower_is_better.get(label, False))
        rows[label] = correlate(x_all, y, n_boot=n_boot, seed=seed).as_dict()
    return pd.DataFrame.from_dict(rows, orient='index')


def group_score(frame: pd.DataFrame, scales: dict[str, str], lower_is_better: dict[str, bool]) -> pd.Series:
    """One number per backbone for a task group: the mean over columns of the transformed, oriented and
    standardised (z-scored across backbones) values; backbones missing a column are left out."""
    z = {}
    for label in frame.columns:
        y = pd.Series(transform(frame[label].to_numpy(), scales[label], lower_is_better.get(label, False)),
                      index=frame.index)
        std = y.std(ddof=0)
        z[label] = (y - y.mean()) / std if std > 0 else y * np.nan
    return pd.DataFrame(z).mean(axis=1, skipna=False)


def paper_feature_correlations() -> pd.Series:
    """The "Corr. to ImageNet" row of the feature-property table, recomputed from the published numbers."""
    features, _ = load_reference('feature_properties.csv')
    linear, _ = load_reference('linear_manyshot.csv')
    x = transform(linear.loc[features.index, 'IN top-1'].to_numpy(), PERCENT)
    return pd.Series({c: float(stats.pearsonr(x, transform(features[c].to_numpy(), FEATURE_SCALES[c]))[0])
                      for c in features.columns})


def paper_stated_correlations() -> pd.Series:
    """The row as the paper prints it."""
    values, _ = load_reference('feature_properties.csv', keep_extra_rows=True)
    return values.loc['Corr. to ImageNet']


def rounding_interval(column: str, samples: int = 4000, seed: int = 0) -> tuple[float, float]:
    """Range (0.5-99.5 percentile) of the recomputed r when each published input moves uniformly within its
    printed rounding (half a unit of its last digit): how exactly the rounded table can pin r down."""
    features, _ = load_reference('feature_properties.csv')
    linear, _ = load_reference('linear_manyshot.csv')
    printed = reference_csv('feature_properties.csv')[column].drop(index='Corr. to ImageNet')
    half = np.array([0.5 * 10.0 ** -len(s.split('.')[1]) if '.' in s else 0.5 for s in printed])
    rng = np.random.default_rng(seed)
    x = linear.loc[features.index, 'IN top-1'].to_numpy()
    y = features[column].to_numpy()
    xs = transform(x + rng.uniform(-0.05, 0.05, (samples, len(x))), PERCENT)
    ys = transform(y + rng.uniform(-1, 1, (samples, len(y))) * half, FEATURE_SCALES[column])
    r = _rowwise_pearson(xs, ys)
    lo, hi = np.percentile(r, [0.5, 99.5])
    return float(lo), float(hi)
