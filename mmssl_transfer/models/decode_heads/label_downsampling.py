"""Loss on labels downsampled to the decoder's resolution, as CSAIL's segmentation toolkit trains.

mmseg upsamples the logits to the label resolution before the loss. The toolkit the transfer paper used for
ADE20K and NYUv2 normals does the opposite: it pads each label map to a multiple of ``segm_downsampling_rate``,
shrinks it by that factor with nearest-neighbour resampling (PIL's, which for an integer factor ``f`` keeps the
pixel ``f * i + f // 2``), and applies the loss to the decoder's logits as they are (stride 4 for UPerNet, 8 for
the dilated PSPNet). :class:`LabelDownsampleMixin` adds that choice to any mmseg decode head as
``label_downsample`` (1 = mmseg's behaviour).
"""
from __future__ import annotations

from typing import Any

from mmseg.models.decode_heads import UPerHead
from mmseg.registry import MODELS
from torch import Tensor


def nearest_downsample(maps: Tensor, factor: int) -> Tensor:
    """Keep every ``factor``-th pixel of the last two dims, starting at ``factor // 2`` (PIL's nearest resize)."""
    if factor == 1:
        return maps
    start = factor // 2
    return maps[..., start::factor, start::factor]


class LabelDownsampleMixin:
    """Decode-head mixin: the loss sees ``gt_sem_seg`` downsampled by ``label_downsample`` (nearest).

    mmseg's ``loss_by_feat`` then resizes the logits to that size, which is a no-op when the decoder's stride
    equals the factor.

    Args:
        label_downsample: Integer factor; 1 keeps the labels at input resolution. Defaults to 1.
    """

    def __init__(self, *args: Any, label_downsample: int = 1, **kwargs: Any) -> None:
        if isinstance(label_downsample, bool) or not isinstance(label_downsample, int) or label_downsample < 1:
            raise ValueError(f'label_downsample must be a positive integer, got {label_downsample!r}')
        super().__init__(*args, **kwargs)
        self.label_downsample = label_downsample

    def _stack_batch_gt(self, batch_data_samples: list) -> Tensor:
        return nearest_downsample(super()._stack_batch_gt(batch_data_samples), self.label_downsample)


@MODELS.register_module()
class DownsampledLabelUPerHead(LabelDownsampleMixin, UPerHead):
    """mmseg's ``UPerHead`` with the loss at ``1 / label_downsample`` of the input resolution (see module doc)."""
