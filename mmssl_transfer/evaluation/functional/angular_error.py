"""Angular errors of surface normals and their running statistics, in constant memory.

The paper's evaluation (Fouhey et al. metrics, as in ``linusericsson/ssl-transfer``) stored the angle of every
valid test pixel to take the median, which needed ~150 GB of RAM for NYUv2. Here each batch is folded into a
fixed-size :class:`AngularErrorAccumulator`: exact counts, sums and threshold counts, plus a histogram of
angles with 0.01-degree bins for the median (error below 0.01 degree). Accumulators of several processes merge.

All reported angles are errors in degrees: ``mean``, ``median`` and ``rmse`` are lower-is-better, the
``within_<t>`` percentages higher-is-better.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

#: Angle thresholds (degrees) of the "% within" metrics (Fouhey et al. 2013).
ANGLE_THRESHOLDS: tuple[float, ...] = (11.25, 22.5, 30.0)
#: Histogram bin width (degrees) used for the median.
HISTOGRAM_BIN_DEG = 0.01


def angular_errors(pred: np.ndarray | torch.Tensor, gt: np.ndarray | torch.Tensor,
                   valid: np.ndarray | torch.Tensor | None = None, channel_axis: int = 0) -> np.ndarray:
    """Angles in degrees (float64) between predicted and ground-truth normals at the valid pixels.

    Both normal maps are renormalised first (as the paper's evaluation does); the cosine is clipped to [-1, 1].

    Args:
        pred: Predicted normals with 3 channels on ``channel_axis``.
        gt: Ground-truth normals, same shape as ``pred``.
        valid: Boolean map of the pixels to count (the shape without the channel axis); None = all.
        channel_axis: Axis holding x, y, z. Defaults to 0 (C, H, W).

    Returns:
        A 1-d array with one angle per valid pixel.
    """
    pred = _as_float64(pred)
    gt = _as_float64(gt)
    if pred.shape != gt.shape:
        raise ValueError(f'prediction shape {pred.shape} differs from ground-truth shape {gt.shape}')
    if pred.shape[channel_axis] != 3:
        raise ValueError(f'normal maps need 3 channels on axis {channel_axis}, got shape {pred.shape}')
    pred = np.moveaxis(pred, channel_axis, 0).reshape(3, -1)
    gt = np.moveaxis(gt, channel_axis, 0).reshape(3, -1)
    if valid is not None:
        valid = np.asarray(valid.cpu() if isinstance(valid, torch.Tensor) else valid).astype(bool).reshape(-1)
        if valid.size != pred.shape[1]:
            raise ValueError(f'valid mask has {valid.size} pixels, the normal maps {pred.shape[1]}')
        pred, gt = pred[:, valid], gt[:, valid]
    # cos = p.g / (|p| |g|): both maps renormalised, in one pass over the pixels
    norms = np.sqrt(np.einsum('ij,ij->j', pred, pred) * np.einsum('ij,ij->j', gt, gt))
    cosine = np.clip(np.einsum('ij,ij->j', pred, gt) / np.maximum(norms, np.finfo(np.float64).tiny), -1.0, 1.0)
    return np.degrees(np.arccos(cosine))


def _as_float64(x: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


@dataclass
class AngularErrorAccumulator:
    """Running statistics of angular errors whose size does not depend on how many pixels were added.

    Attributes:
        bin_width: Histogram bin width in degrees (the median is interpolated inside one bin).
        thresholds: Angles (degrees) of the "% within" counts; a pixel counts when its angle is below.
    """

    bin_width: float = HISTOGRAM_BIN_DEG
    thresholds: tuple[float, ...] = ANGLE_THRESHOLDS
    count: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    smallest: float = float('inf')
    largest: float = float('-inf')
    within: np.ndarray = field(default=None)  # type: ignore[assignment]
    histogram: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.thresholds = tuple(float(t) for t in self.thresholds)
        if self.within is None:
            self.within = np.zeros(len(self.thresholds), dtype=np.int64)
        if self.histogram is None:
            self.histogram = np.zeros(self.num_bins, dtype=np.int64)

    @property
    def num_bins(self) -> int:
        return int(np.ceil(180.0 / self.bin_width))

    def update(self, angles: np.ndarray) -> None:
        """Add a 1-d array of angles in degrees."""
        angles = np.asarray(angles, dtype=np.float64).reshape(-1)
        if angles.size == 0:
            return
        self.count += int(angles.size)
        self.total += float(angles.sum())
        self.total_sq += float(np.square(angles).sum())
        self.smallest = min(self.smallest, float(angles.min()))
        self.largest = max(self.largest, float(angles.max()))
        self.within += np.array([np.count_nonzero(angles < t) for t in self.thresholds], dtype=np.int64)
        bins = np.minimum((angles / self.bin_width).astype(np.int64), self.num_bins - 1)
        self.histogram += np.bincount(bins, minlength=self.num_bins)

    def merge(self, other: 'AngularErrorAccumulator') -> 'AngularErrorAccumulator':
        """Add another accumulator's counts into this one (same bins and thresholds) and return self."""
        if other.bin_width != self.bin_width or tuple(other.thresholds) != tuple(self.thresholds):
            raise ValueError('cannot merge accumulators with different bins or thresholds')
        self.count += other.count
        self.total += other.total
        self.total_sq += other.total_sq
        self.smallest = min(self.smallest, other.smallest)
        self.largest = max(self.largest, other.largest)
        self.within += other.within
        self.histogram += other.histogram
        return self

    def median(self) -> float:
        """The median angle, interpolated inside the histogram bin that holds it (clipped to min..max)."""
        cumulative = np.cumsum(self.histogram)
        half = self.count / 2.0
        index = int(np.searchsorted(cumulative, half, side='left'))
        before = cumulative[index - 1] if index > 0 else 0
        fraction = (half - before) / max(self.histogram[index], 1)
        return float(np.clip((index + fraction) * self.bin_width, self.smallest, self.largest))

    def summary(self) -> dict[str, float]:
        """Mean, median and RMS angle (degrees) and the percentages within each threshold."""
        if self.count == 0:
            raise ValueError('no valid pixels were evaluated: every ground-truth pixel is masked out')
        metrics = {
            'mean': self.total / self.count,
            'median': self.median(),
            'rmse': float(np.sqrt(self.total_sq / self.count)),
        }
        for threshold, within in zip(self.thresholds, self.within):
            metrics[f'within_{threshold:g}'] = 100.0 * float(within) / self.count
        return metrics
