"""Task-agnostic occlusion saliency and attentive diffusion (paper Sec. 4.9, App. A.9).

Zeiler & Fergus' occlusion sensitivity without a class score: a ``patch`` x ``patch`` square, filled with 0 in
the normalised input, slides over the image at ``stride``; each position scores the relative distance
``||f - f_occ|| / ||f||`` between the pooled features of the clean and the occluded image, and the score is added
to every pixel under the patch. The sum is divided by ``patch ** 2`` (the number of times a pixel is covered at
stride 1) and the border where pixels are covered fewer times is cropped: 242 -> 224 at the paper's settings.
Attentive diffusion is the percentage of the map above its own mean.

Speed: the occluded copies are built by one broadcast mask per batch (no Python loop over positions) and run in
large batches under ``torch.inference_mode`` (optionally autocast on GPU); the per-position scores are spread
over the pixels by one transposed convolution with a ``patch`` x ``patch`` kernel of ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from mmssl_transfer.tasks import PAPER_FEATURE_PROPERTIES_PROTOCOL

#: The paper's occlusion settings (App. A.9; the ``feature_properties`` row of :data:`mmssl_transfer.tasks.TASKS`):
#: 242 x 242 input, 10 x 10 zero patch, stride 1 (the only stride at which every kept pixel is covered
#: patch**2 = 100 times), 224 x 224 kept.
PAPER_SALIENCY_PROTOCOL: dict[str, object] = dict(
    image_size=PAPER_FEATURE_PROPERTIES_PROTOCOL['saliency_size'], patch=PAPER_FEATURE_PROPERTIES_PROTOCOL['patch'],
    stride=PAPER_FEATURE_PROPERTIES_PROTOCOL['stride'], fill=0.0, amp=PAPER_FEATURE_PROPERTIES_PROTOCOL['amp'])

FeatureFn = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class OcclusionGrid:
    """Patch positions over a square image.

    Attributes:
        image_size: Side of the (normalised) image.
        patch: Side of the occluding square.
        stride: Step between positions.
    """

    image_size: int = 242
    patch: int = 10
    stride: int = 1

    @property
    def starts(self) -> torch.Tensor:
        """Top (= left) coordinates of the positions along one axis."""
        return torch.arange(0, self.image_size - self.patch + 1, self.stride)

    @property
    def num_positions(self) -> int:
        return len(self.starts) ** 2

    @property
    def kept(self) -> slice:
        """The centre rows (= columns) that every position grid of stride 1 covers ``patch ** 2`` times."""
        return slice(self.patch - 1, self.image_size - self.patch + 1)

    def spread(self, scores: torch.Tensor) -> torch.Tensor:
        """Add each position's score to the pixels under its patch: ``(n, n)`` scores -> image-sized map."""
        kernel = scores.new_ones(1, 1, self.patch, self.patch)
        out = F.conv_transpose2d(scores[None, None], kernel, stride=self.stride)[0, 0]
        pad = self.image_size - out.shape[-1]  # a stride that does not reach the last row leaves it uncovered
        return F.pad(out, (0, pad, 0, pad))

    def coverage(self) -> torch.Tensor:
        """How many positions cover each pixel (float map of the image size)."""
        n = len(self.starts)
        return self.spread(torch.ones(n, n, dtype=torch.float64))

    def occlude(self, image: torch.Tensor, positions: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
        """Copies of ``image`` (C, H, W) with the patch at each of ``positions`` (B, 2 top-left) set to ``fill``."""
        pixels = torch.arange(self.image_size, device=image.device)
        top, left = positions[:, 0:1].to(image.device), positions[:, 1:2].to(image.device)
        rows = (pixels >= top) & (pixels < top + self.patch)        # (B, H)
        cols = (pixels >= left) & (pixels < left + self.patch)      # (B, W)
        hole = (rows[:, :, None] & cols[:, None, :])[:, None]       # (B, 1, H, W)
        return torch.where(hole, torch.as_tensor(fill, dtype=image.dtype, device=image.device), image[None])

    def positions(self) -> torch.Tensor:
        """Every (top, left) position in row-major order, ``(num_positions, 2)``."""
        starts = self.starts
        return torch.cartesian_prod(starts, starts)


def relative_distance(clean: torch.Tensor, occluded: torch.Tensor) -> torch.Tensor:
    """``||f - f_occ|| / ||f||`` per row of ``occluded`` (the scale-free distance of App. A.9)."""
    clean = clean.float().flatten()
    return (occluded.float().flatten(1) - clean).norm(dim=1) / clean.norm()


@torch.inference_mode()
def occlusion_saliency(features: FeatureFn, image: torch.Tensor, grid: OcclusionGrid = OcclusionGrid(),
                       batch_size: int = 256, fill: float = 0.0, amp: bool = False) -> torch.Tensor:
    """Saliency map of one normalised image under the occlusion of ``grid``, cropped to the kept centre.

    Args:
        features: Maps a batch ``(B, C, H, W)`` of normalised images to pooled features ``(B, D)``.
        image: One normalised image ``(C, S, S)`` with ``S = grid.image_size``, on the features' device.
        grid: Patch size, stride and image size. Defaults to the paper's (242, 10, 1).
        batch_size: Occluded copies per forward.
        fill: Value of the patch in the normalised input. Defaults to 0 (the paper's follow-up code).
        amp: Run the forwards under CUDA autocast (float16). Defaults to False.

    Returns:
        ``(K, K)`` float32 map with ``K = S - 2 (patch - 1)`` (224 at the paper's settings): the mean score of the
        positions covering each pixel (sum / ``patch ** 2``; at a stride above 1, sum / the pixel's coverage).
    """
    if image.shape[-1] != grid.image_size or image.shape[-2] != grid.image_size:
        raise ValueError(f'image is {tuple(image.shape[-2:])}, the grid expects {grid.image_size} square')
    autocast = torch.autocast('cuda', dtype=torch.float16, enabled=amp and image.device.type == 'cuda')
    positions = grid.positions()
    with autocast:
        clean = features(image[None])[0]
        scores = []
        for chunk in positions.split(batch_size):
            scores.append(relative_distance(clean, features(grid.occlude(image, chunk, fill))))
    n = len(grid.starts)
    total = grid.spread(torch.cat(scores).double().view(n, n).cpu())
    divisor = grid.patch ** 2 if grid.stride == 1 else grid.coverage().clamp(min=1)
    return (total / divisor)[grid.kept, grid.kept].float()


def attentive_diffusion(saliency: torch.Tensor) -> float:
    """Percentage of the map's pixels above the map's own mean (higher: attention spread wider)."""
    return float(100.0 * (saliency > saliency.mean()).double().mean())
