"""PSPNet pyramid-pooling head regressing metric depth, for the NYUv2 depth task beside the normals head."""
from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
from mmseg.models.decode_heads import PSPHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from .label_downsampling import nearest_downsample

#: mmseg's scale-invariant log loss (Eigen et al. 2014), the loss of mmseg's NYU depth configs (VPD).
DEFAULT_LOSS: dict[str, Any] = dict(type='SiLogLoss', loss_weight=1.0)


@MODELS.register_module()
class DepthPSPHead(PSPHead):
    """mmseg's ``PSPHead`` predicting one depth per pixel, in metres, in ``(0, max_depth)``.

    The head of the normals task (:class:`NormalPSPHead`) with one output channel: ``sigmoid(x) * max_depth``
    (as mmseg's ``VPDDepthHead``, which cannot serve here: it skips ``BaseDecodeHead``'s set-up and expects VPD's
    four feature maps), so every prediction is a positive depth the log metrics can take. The loss sees the
    ground truth ``gt_depth_map`` (1xHxW, metres) downsampled by ``label_downsample`` (nearest, as the normals
    head's labels) and the prediction resized to it; pixels outside ``(min_depth, max_depth]`` (missing depth,
    padding) are set to 0, which every depth loss here skips (``SiLogLoss``: ``target > eps``;
    :class:`DepthL1Loss`: ``target > eps``).

    Args:
        max_depth: Largest depth (metres) the head predicts and trains on. Defaults to 10.0 (NYUv2's range).
        min_depth: Ground truth at or below this is missing. Defaults to 1e-3.
        label_downsample: Integer factor of the loss's ground-truth downsampling; 1 = full resolution.
            Defaults to 1.
        loss_decode: Loss config(s), each called as ``loss(pred, target)``. Defaults to :data:`DEFAULT_LOSS`.
        **kwargs: Arguments of ``PSPHead`` (``in_channels``, ``channels``, ``pool_scales``, ``norm_cfg``...);
            ``num_classes`` and ``out_channels`` are 1.
    """

    def __init__(self, max_depth: float = 10.0, min_depth: float = 1e-3, label_downsample: int = 1,
                 loss_decode: dict | list | None = None, **kwargs: Any) -> None:
        if 'num_classes' in kwargs or 'out_channels' in kwargs:
            raise ValueError('DepthPSPHead predicts one channel; do not set num_classes / out_channels')
        if isinstance(label_downsample, bool) or not isinstance(label_downsample, int) or label_downsample < 1:
            raise ValueError(f'label_downsample must be a positive integer, got {label_downsample!r}')
        # threshold: BaseDecodeHead asks for one whenever out_channels == 1 (binary segmentation); unused here
        super().__init__(num_classes=1, out_channels=1, threshold=0.5, loss_decode=loss_decode or DEFAULT_LOSS,
                         **kwargs)
        self.max_depth, self.min_depth, self.label_downsample = max_depth, min_depth, label_downsample

    def forward(self, inputs: list[Tensor]) -> Tensor:
        """(N, 1, h, w) depth in metres at the decoder's resolution."""
        return torch.sigmoid(super().forward(inputs)) * self.max_depth

    def loss_by_feat(self, seg_logits: Tensor, batch_data_samples: list) -> dict:
        """Each loss of ``loss_decode`` on the valid ground-truth pixels."""
        target = torch.stack([sample.gt_depth_map.data for sample in batch_data_samples]).to(seg_logits)
        target = nearest_downsample(target, self.label_downsample)
        target = torch.where((target > self.min_depth) & (target <= self.max_depth), target,
                             torch.zeros_like(target))
        pred = resize(seg_logits, size=target.shape[-2:], mode='bilinear', align_corners=self.align_corners)
        losses_decode = self.loss_decode if isinstance(self.loss_decode, nn.ModuleList) else [self.loss_decode]
        losses: dict[str, Tensor] = {}
        for loss in losses_decode:
            losses[loss.loss_name] = losses.get(loss.loss_name, 0) + loss(pred, target)
        return losses
