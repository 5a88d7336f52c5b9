"""Softmax cross-entropy averaged over the pixels of the whole batch, however many processes share it."""
from __future__ import annotations

from typing import Any

import torch
from mmseg.models.losses import CrossEntropyLoss
from mmseg.registry import MODELS

from mmssl_transfer.distributed import mean_over_processes, rank_and_world


@MODELS.register_module()
class GlobalMeanCrossEntropyLoss(CrossEntropyLoss):
    """mmseg's softmax ``CrossEntropyLoss`` (same arguments) whose mean is over the pixels of every process.

    mmseg divides by the pixels of the process's own share (with ``avg_non_ignore``: its labelled pixels), and DDP
    then averages the N processes' means: a pixel weighs more the fewer labelled pixels its process holds, so
    the model depends on the number of GPUs whenever the shares differ (they do: ignored and invalid pixels vary
    from image to image). Here each process divides its sum by the mean count over the processes, which after
    DDP's mean is the sum over all pixels divided by their total count: the loss of one process holding the
    whole batch. Under gradient accumulation the mean is over each micro-batch. In one process it is mmseg's
    loss, unchanged.
    """

    def __init__(self, use_sigmoid: bool = False, use_mask: bool = False, class_weight: Any = None,
                 **kwargs: Any) -> None:
        if use_sigmoid or use_mask or class_weight is not None:
            raise ValueError('GlobalMeanCrossEntropyLoss is the softmax loss without class weights '
                             f'(got use_sigmoid={use_sigmoid}, use_mask={use_mask}, class_weight={class_weight})')
        super().__init__(**kwargs)

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor, weight: torch.Tensor | None = None,
                avg_factor: Any = None, reduction_override: str | None = None, ignore_index: int = -100,
                **kwargs: Any) -> torch.Tensor:
        reduction = reduction_override or self.reduction
        if avg_factor is None and reduction == 'mean' and rank_and_world()[1] > 1:
            counted = label != ignore_index if self.avg_non_ignore else torch.ones_like(label, dtype=torch.bool)
            avg_factor = mean_over_processes(counted.sum().to(cls_score.dtype))
        return super().forward(cls_score, label, weight, avg_factor, reduction_override, ignore_index, **kwargs)
