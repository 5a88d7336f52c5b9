"""TensorFlow/JAX 'SAME' padding for the strided layers of a ResNet.

SimCLR (TF) and BYOL (JAX/Haiku) were trained with 'SAME' padding, which is asymmetric for stride 2 on even
inputs: a 3x3/stride-2 conv pads (0 before, 1 after) where PyTorch pads (1, 1), and the 7x7 stem pads (2, 3)
instead of (3, 3). The paper ignored this (its numbers use PyTorch padding), so it is an option of
``SSLResNet`` (``tf_same_padding=True``), off by default. Swapping a module's class keeps its parameters and
state-dict keys, so checkpoints load unchanged.
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


def use_tf_same_padding(model: nn.Module) -> int:
    """Switch every strided conv and max-pool of ``model`` to 'SAME' padding in place; return how many."""
    swapped = 0
    for module in model.modules():
        stride = nn.modules.utils._pair(getattr(module, 'stride', 1))
        if max(stride) == 1:
            continue
        if type(module) is nn.Conv2d:
            module.__class__ = Conv2dTFSame
            swapped += 1
        elif type(module) is nn.MaxPool2d:
            module.__class__ = MaxPool2dTFSame
            swapped += 1
    return swapped
