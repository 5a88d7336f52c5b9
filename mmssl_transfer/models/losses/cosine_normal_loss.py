"""Cosine / angular loss for direct surface-normal regression."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS

from mmssl_transfer.distributed import mean_over_processes

LOSS_MODES = ('cosine', 'angular')


@MODELS.register_module()
class CosineNormalLoss(nn.Module):
    """Mean of ``1 - cos`` (or of the angle, radians) between predicted and target normals over valid pixels (of
    every process of a distributed run: the number of processes does not change it).

    The prediction is normalised to unit length inside the loss (the target already is).

    Args:
        mode: ``'cosine'`` for ``1 - cos`` (smooth everywhere) or ``'angular'`` for ``acos(cos)`` (the
            evaluated quantity; its gradient is clipped near 0 and 180 degrees). Defaults to ``'cosine'``.
        loss_weight: Multiplier of the loss. Defaults to 1.0.
        loss_name: Key of the loss in the loss dict (must start with ``loss_``). Defaults to ``'loss_normal'``.
    """

    def __init__(self, mode: str = 'cosine', loss_weight: float = 1.0, loss_name: str = 'loss_normal') -> None:
        super().__init__()
        if mode not in LOSS_MODES:
            raise ValueError(f'mode must be one of {LOSS_MODES}, got {mode!r}')
        self.mode = mode
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor,
                **kwargs) -> torch.Tensor:
        """Loss of (N, 3, H, W) ``pred`` against ``target`` at the pixels where (N, H, W) ``valid`` is true."""
        cosine = (F.normalize(pred, dim=1) * target).sum(dim=1)
        if self.mode == 'cosine':
            per_pixel = 1.0 - cosine
        else:
            per_pixel = torch.acos(cosine.clamp(-1 + 1e-6, 1 - 1e-6))
        valid = valid.to(per_pixel.dtype)
        # the mean over the valid pixels of every process (see GlobalMeanCrossEntropyLoss); 0 when there are none
        count = mean_over_processes(valid.sum())
        return self.loss_weight * (per_pixel * valid).sum() / count.clamp(min=torch.finfo(count.dtype).tiny)

    @property
    def loss_name(self) -> str:
        return self._loss_name
