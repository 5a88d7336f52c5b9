"""The torchvision ResNet-50 state-dict layout (names and shapes) for any base width, computed analytically.

This is what a converted checkpoint must match exactly, key for key and shape for shape. Width 64 is the real
ResNet-50; toy checkpoints use a smaller ``base_channels`` with the same keys (stage widths ``4 * base * 2**i``).
Computing it here keeps the package free of model classes (tests compare it with ``torchvision.models.resnet50``).
"""
from __future__ import annotations

from collections import OrderedDict

#: Bottleneck blocks per stage of ResNet-50.
RESNET50_BLOCKS = (3, 4, 6, 3)
EXPANSION = 4
BN_SUFFIXES = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')


def _bn(name: str, channels: int) -> list[tuple[str, tuple[int, ...]]]:
    return [(f'{name}.{s}', () if s == 'num_batches_tracked' else (channels,)) for s in BN_SUFFIXES]


def resnet50_shapes(base_channels: int = 64) -> OrderedDict[str, tuple[int, ...]]:
    """Key -> shape of a torchvision ResNet-50 backbone (no ``fc``) whose stem has ``base_channels`` outputs."""
    if base_channels < 1:
        raise ValueError(f'base_channels must be >= 1, got {base_channels}')
    shapes: list[tuple[str, tuple[int, ...]]] = [('conv1.weight', (base_channels, 3, 7, 7))]
    shapes += _bn('bn1', base_channels)
    inplanes = base_channels
    for stage, blocks in enumerate(RESNET50_BLOCKS, start=1):
        planes = base_channels * 2 ** (stage - 1)
        for block in range(blocks):
            p = f'layer{stage}.{block}'
            shapes.append((f'{p}.conv1.weight', (planes, inplanes, 1, 1)))
            shapes += _bn(f'{p}.bn1', planes)
            shapes.append((f'{p}.conv2.weight', (planes, planes, 3, 3)))
            shapes += _bn(f'{p}.bn2', planes)
            shapes.append((f'{p}.conv3.weight', (planes * EXPANSION, planes, 1, 1)))
            shapes += _bn(f'{p}.bn3', planes * EXPANSION)
            if block == 0:
                shapes.append((f'{p}.downsample.0.weight', (planes * EXPANSION, inplanes, 1, 1)))
                shapes += _bn(f'{p}.downsample.1', planes * EXPANSION)
            inplanes = planes * EXPANSION
    return OrderedDict(shapes)


def is_batch_counter(key: str) -> bool:
    """Whether ``key`` is a BatchNorm ``num_batches_tracked`` counter (absent from TF/JAX-born checkpoints)."""
    return key.endswith('.num_batches_tracked')
