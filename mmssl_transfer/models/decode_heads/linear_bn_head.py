"""``LinearBNHead``: the frozen-feature "linear" segmentation head of iBOT and DINOv2, written for mmseg 1.x.

The design of DINOv2's ``BNHead`` (``dinov2/eval/segmentation/models/decode_heads/linear_head.py``; iBOT's linear
ADE20K evaluation is the same idea): the final-norm patch tokens of the chosen blocks (here :class:`SSLViT`'s
``'featmap'`` output), resized to the first one's grid and concatenated, a BatchNorm over the concatenated channels
and one 1x1 convolution to the classes; the logits are upsampled to the image by the segmentor. Nothing else
trains, so the mIoU measures how linearly separable the frozen patch features are.
"""
from __future__ import annotations

from typing import Any, Sequence

from mmcv.cnn import build_norm_layer
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class LinearBNHead(BaseDecodeHead):
    """BatchNorm + 1x1 classifier on resized and concatenated feature maps (iBOT/DINOv2 linear segmentation).

    Args:
        in_channels (Sequence[int]): Channels of each map read (``in_index`` picks them from the backbone's tuple).
        in_index (Sequence[int]): Which backbone outputs to concatenate. Defaults to all of ``in_channels``.
        norm_cfg (dict): The BatchNorm. Defaults to ``SyncBN`` (plain BN off-GPU, see mmssl_transfer.compat).
        **kwargs: Arguments of mmseg's ``BaseDecodeHead`` (``num_classes``, ``loss_decode``, ``align_corners``...);
            ``channels`` is the concatenated width and ``input_transform`` is ``'resize_concat'``.
    """

    def __init__(self, in_channels: Sequence[int], in_index: Sequence[int] | None = None,
                 norm_cfg: dict | None = None, dropout_ratio: float = 0.0, **kwargs: Any) -> None:
        if 'channels' in kwargs or 'input_transform' in kwargs:
            raise ValueError('LinearBNHead: channels (the concatenated width) and input_transform (resize_concat) '
                             'are fixed')
        in_channels = list(in_channels)
        in_index = list(range(len(in_channels))) if in_index is None else list(in_index)
        norm_cfg = norm_cfg or dict(type='SyncBN', requires_grad=True)
        super().__init__(in_channels=in_channels, channels=sum(in_channels), in_index=in_index,
                         input_transform='resize_concat', dropout_ratio=dropout_ratio, norm_cfg=norm_cfg,
                         **kwargs)
        self.bn = build_norm_layer(norm_cfg, self.channels)[1]

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Logits at the first map's resolution."""
        return self.cls_seg(self.bn(self._transform_inputs(inputs)))
