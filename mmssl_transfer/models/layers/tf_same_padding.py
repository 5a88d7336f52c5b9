"""TensorFlow/JAX 'SAME' padding for the strided layers of a ResNet, per layer kind.

'SAME' padding is asymmetric for stride 2 on even inputs: a 3x3/stride-2 conv pads (0 before, 1 after) where
PyTorch pads (1, 1), the 7x7 stem pads (2, 3) instead of (3, 3), and the 3x3/stride-2 max-pool (0, 1) instead of
(1, 1). Which layers a method was trained with it is a property of its code, recorded per zoo row
(``MethodSpec.tf_same_padding``, one of :data:`SAME_PADDED_LAYERS`):

* ``'none'``: PyTorch-trained methods;
* ``'maxpool'``: google-research/simclr (SimCLR-v1/v2) pads every strided convolution symmetrically
  (``fixed_padding`` with ``(k - 1) // 2`` before, then ``VALID``), as PyTorch does; only the stem max-pool is
  ``SAME``;
* ``'all'``: Haiku (BYOL) pads every layer ``SAME``.

The paper ignored this (its numbers use PyTorch padding), so ``SSLResNet`` applies it only on request
(``tf_same_padding='as_trained'`` or a kind). Swapping a module's class keeps its parameters and state-dict keys,
so checkpoints load unchanged.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def tf_same_pad(x: torch.Tensor, kernel: tuple[int, int], stride: tuple[int, int],
                dilation: tuple[int, int] = (1, 1), value: float = 0.0) -> torch.Tensor:
    """Pad ``x`` (N, C, H, W) as TensorFlow's 'SAME' does: the extra pixel goes after, not before."""
    pads: list[int] = []
    for size, k, s, d in ((x.shape[-1], kernel[1], stride[1], dilation[1]),
                          (x.shape[-2], kernel[0], stride[0], dilation[0])):
        total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)


class Conv2dTFSame(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow 'SAME' padding computed from the input size."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = tf_same_pad(x, self.kernel_size, self.stride, self.dilation)
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MaxPool2dTFSame(nn.MaxPool2d):
    """``nn.MaxPool2d`` with TensorFlow 'SAME' padding (padded cells never win the max)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kernel, stride = nn.modules.utils._pair(self.kernel_size), nn.modules.utils._pair(self.stride)
        x = tf_same_pad(x, kernel, stride, value=float('-inf'))
        return F.max_pool2d(x, kernel, stride, 0, self.dilation, self.ceil_mode)


#: Setting -> the layer kinds padded 'SAME' (stride-1 layers of odd kernel pad the same in both frameworks).
SAME_PADDED_LAYERS: dict[str, tuple[type[nn.Module], ...]] = {
    'none': (),
    'maxpool': (nn.MaxPool2d,),
    'all': (nn.Conv2d, nn.MaxPool2d),
}
_SAME_CLASS: dict[type[nn.Module], type[nn.Module]] = {nn.Conv2d: Conv2dTFSame, nn.MaxPool2d: MaxPool2dTFSame}


def use_tf_same_padding(model: nn.Module, layers: str = 'all') -> int:
    """Switch the strided layers of the kinds ``layers`` names (:data:`SAME_PADDED_LAYERS`) to 'SAME' padding in
    place; return how many were switched."""
    if layers not in SAME_PADDED_LAYERS:
        raise ValueError(f'tf_same_padding must be one of {list(SAME_PADDED_LAYERS)}, got {layers!r}')
    kinds = SAME_PADDED_LAYERS[layers]
    swapped = 0
    for module in model.modules():
        stride = nn.modules.utils._pair(getattr(module, 'stride', 1))
        if max(stride) > 1 and type(module) in kinds:
            module.__class__ = _SAME_CLASS[type(module)]
            swapped += 1
    return swapped
