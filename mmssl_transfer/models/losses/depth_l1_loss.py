"""L1 depth loss over the pixels that have ground-truth depth."""
from __future__ import annotations

import torch
import torch.nn as nn
from mmseg.registry import MODELS

from mmssl_transfer.distributed import mean_over_processes


@MODELS.register_module()
class DepthL1Loss(nn.Module):
    """Mean absolute depth error (metres) over the valid pixels of every process.

    ViRB (Kotar et al. 2021) trains its NYU depth head with ``torch.nn.L1Loss`` over every pixel, missing depth
    (zeros) included; this loss averages over the pixels with depth only (``target > eps``), so a hole in the
    sensor's map is not a target of 0 m.

    Args:
        eps: Depths at or below this (metres) are missing. Defaults to 1e-3.
        loss_weight: Multiplier of the loss. Defaults to 1.0.
        loss_name: Key of the loss in the loss dict (must start with ``loss_``). Defaults to ``'loss_l1'``.
    """

    def __init__(self, eps: float = 1e-3, loss_weight: float = 1.0, loss_name: str = 'loss_l1') -> None:
        super().__init__()
        self.eps = eps
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, pred: torch.Tensor, target: torch.Tensor, **kwargs) -> torch.Tensor:
        """L1 of (N, 1, H, W) ``pred`` against ``target`` where the target has depth; 0 where none has."""
        valid = (target > self.eps).to(pred.dtype)
        count = mean_over_processes(valid.sum())
        return self.loss_weight * ((pred - target).abs() * valid).sum() / count.clamp(min=1.0)

    @property
    def loss_name(self) -> str:
        return self._loss_name
