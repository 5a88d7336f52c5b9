"""Feature inversion with the deep image prior (paper Sec. 4.8, App. A.8; Zhao et al. ICLR 2021's recipe).

A fresh generator per (backbone, image) maps fixed noise to an image and is trained so that the frozen backbone's
``layer4`` map of the image matches that of the target (MSE). The generator is Ulyanov et al.'s (CVPR 2018)
``skip`` hourglass as configured by Zhao et al. (github.com/nanxuanzhao/Good_transfer,
``code_reconstruction_DIP/reconstruction.py``), written here from its description:

* per scale i: a skip branch (1x1 conv -> BN -> LeakyReLU(0.2)) beside a deeper branch (k_i conv, 2x2 average
  pool -> BN -> act; k_i conv -> BN -> act; the next scale; nearest 2x upsampling); their channels concatenated
  (centre-cropped to the smaller size) -> BN -> k_i conv -> BN -> act -> 1x1 conv -> BN -> act;
* a final 1x1 conv to 3 channels, no sigmoid: the output lives in the backbone's own normalised input space, so
  the same recipe serves ImageNet-normalised methods and SimCLR's [0, 1] input (mean 0, std 1: the generator then
  works directly in [0, 1]); the picture is de-normalised, clamped to [0, 1] and truncated to 8 bits as
  ``ToPILImage`` does;
* zero padding, biases everywhere, BatchNorm in training mode throughout (statistics of the one image, as the
  reference never switches the generator to eval).

Noise ``0.1 * U[0, 1)`` of shape ``1 x 32 x 256 x 256``, fixed; the output is cropped to its top-left 224 x 224
before the backbone; Adam (lr 1e-3) on the generator only. The reference loop runs ``while n <= max_iter``, so
``max_iter = 3000`` takes 3001 steps; :func:`invert_features` does the same.

Several fits run as one: :class:`SkipGenerator` with ``groups=G`` packs G independent generators into grouped
convolutions (each group sees only its own channels, BatchNorm statistics are per channel), the G outputs go
through the backbone as one batch (eval mode: samples are independent) and the G losses are summed, so every
generator receives exactly its own gradient and Adam (element-wise) takes exactly its own step.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import torch
from torch import nn

from mmssl_transfer.tasks import PAPER_FEATURE_PROPERTIES_PROTOCOL


@dataclass(frozen=True)
class SkipConfig:
    """Shape of the DIP ``skip`` generator (defaults: Zhao et al.'s).

    Attributes:
        input_depth: Noise channels.
        channels: Channels of each scale (down and up alike).
        skip_channels: Channels of each scale's skip branch.
        filters: Kernel size of each scale (down and up alike).
        out_channels: Image channels.
    """

    input_depth: int = 32
    channels: tuple[int, ...] = (16, 32, 64, 128, 128, 128)
    skip_channels: tuple[int, ...] = (4, 4, 4, 4, 4, 4)
    filters: tuple[int, ...] = (7, 7, 5, 5, 3, 3)
    out_channels: int = 3

    def __post_init__(self) -> None:
        if not len(self.channels) == len(self.skip_channels) == len(self.filters):
            raise ValueError('channels, skip_channels and filters need one entry per scale')


#: Zhao et al.'s settings, which the paper follows: the DIP settings of the ``feature_properties`` row of
#: :data:`mmssl_transfer.tasks.TASKS` (each citing its line of reconstruction.py), the generator's shape
#: (:class:`SkipConfig`'s defaults, reconstruction.py L234-239), its noise (L100: ``U[0, 1) / 10``, L215: 32
#: channels) and the inverted layer (L54).
PAPER_DIP_PROTOCOL: dict[str, object] = dict(
    **{k: PAPER_FEATURE_PROPERTIES_PROTOCOL[k] for k in ('noise_size', 'crop', 'lr', 'max_iter', 'target_resize')},
    noise_scale=0.1, layer='layer4', **{k: v for k, v in asdict(SkipConfig()).items() if k != 'out_channels'})


def _conv(cin: int, cout: int, k: int, groups: int) -> nn.Conv2d:
    return nn.Conv2d(cin * groups, cout * groups, k, padding=(k - 1) // 2, groups=groups)


def _block(cin: int, cout: int, k: int, groups: int, pool: bool = False) -> list[nn.Module]:
    """conv (then 2x2 average pool) -> BN -> LeakyReLU(0.2)."""
    layers = [_conv(cin, cout, k, groups)] + ([nn.AvgPool2d(2, 2)] if pool else [])
    return layers + [nn.BatchNorm2d(cout * groups), nn.LeakyReLU(0.2)]


class _GroupConcat(nn.Module):
    """Run the skip and deeper branches and concatenate their channels group by group (centre crop to the
    smaller spatial size, as DIP's ``Concat``)."""

    def __init__(self, skip: nn.Module, deeper: nn.Module, groups: int) -> None:
        super().__init__()
        self.skip, self.deeper, self.groups = skip, deeper, groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [self.skip(x), self.deeper(x)]
        h = min(o.shape[2] for o in outs)
        w = min(o.shape[3] for o in outs)
        tops = [((o.shape[2] - h) // 2, (o.shape[3] - w) // 2) for o in outs]
        outs = [o[:, :, t:t + h, u:u + w] for o, (t, u) in zip(outs, tops)]
        n = x.shape[0]
        joined = torch.cat([o.reshape(n, self.groups, -1, h, w) for o in outs], dim=2)
        return joined.reshape(n, -1, h, w)


class SkipGenerator(nn.Module):
    """``groups`` independent DIP ``skip`` generators in one module (grouped convolutions).

    Input ``(1, G * input_depth, H, W)``, output ``(G, out_channels, H, W)``: row g is generator g's image.
    """

    def __init__(self, config: SkipConfig = SkipConfig(), groups: int = 1) -> None:
        super().__init__()
        self.config, self.groups = config, groups
        self.body = nn.Sequential(self._scale(0, config.input_depth),
                                  _conv(config.channels[0], config.out_channels, 1, groups))

    def _scale(self, i: int, cin: int) -> nn.Sequential:
        cfg, g = self.config, self.groups
        ch, k, last = cfg.channels[i], cfg.filters[i], i == len(cfg.channels) - 1
        deeper = _block(cin, ch, k, g, pool=True) + _block(ch, ch, k, g)
        if not last:
            deeper.append(self._scale(i + 1, ch))
        deeper.append(nn.Upsample(scale_factor=2, mode='nearest'))
        skip = nn.Sequential(*_block(cin, cfg.skip_channels[i], 1, g))
        inner = ch if last else cfg.channels[i + 1]
        joined = cfg.skip_channels[i] + inner
        return nn.Sequential(_GroupConcat(skip, nn.Sequential(*deeper), g), nn.BatchNorm2d(joined * g),
                             *_block(joined, ch, k, g), *_block(ch, ch, 1, g))

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        out = self.body(noise)
        return out.reshape(self.groups, self.config.out_channels, *out.shape[2:])

    @classmethod
    def pack(cls, generators: Sequence['SkipGenerator']) -> 'SkipGenerator':
        """One grouped generator whose group g has generator g's parameters and buffers (each one group)."""
        config = generators[0].config
        packed = cls(config, groups=len(generators))
        states = [g.state_dict() for g in generators]
        merged = {name: (value if value.ndim == 0 else torch.cat([s[name] for s in states]))
                  for name, value in states[0].items()}
        packed.load_state_dict(merged)
        return packed


def dip_noise(seed: int, input_depth: int = 32, size: int = 256, scale: float = 0.1) -> torch.Tensor:
    """The fixed generator input ``scale * U[0, 1)`` of shape ``(1, input_depth, size, size)``, seeded."""
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(1, input_depth, size, size, generator=gen) * scale


def seeded_generator(seed: int, config: SkipConfig = SkipConfig()) -> SkipGenerator:
    """A freshly initialised single generator whose weights depend only on ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return SkipGenerator(config)


@dataclass
class Inversion:
    """Outcome of a batch of feature inversions.

    Attributes:
        images: ``(G, 3, crop, crop)`` reconstructions in the backbone's normalised input space (detached, CPU).
        losses: Feature MSE of each generator at each step, ``steps x G``.
        steps: Optimiser steps taken.
    """

    images: torch.Tensor
    losses: list[list[float]] = field(default_factory=list)
    steps: int = 0


def invert_features(stage_map: Callable[[torch.Tensor], torch.Tensor], targets: torch.Tensor, seeds: Sequence[int],
                    config: SkipConfig = SkipConfig(), noise_size: int = 256, noise_scale: float = 0.1,
                    crop: int = 224, lr: float = 1e-3, max_iter: int = 3000,
                    device: str | torch.device = 'cpu') -> Inversion:
    """Fit one DIP generator per target map (all at once, each its own generator, noise and seed).

    Args:
        stage_map: The frozen backbone (eval mode) up to the inverted stage: images ``(B, 3, crop, crop)`` in its
            normalised input space -> maps ``(B, C, h, w)``.
        targets: The maps of the target images, ``(G, C, h, w)``.
        seeds: One seed per target: its generator's initial weights and its noise.
        config: Generator shape. Defaults to Zhao et al.'s.
        noise_size / noise_scale: Side and scale of the uniform noise input. Defaults to 256, 0.1.
        crop: Top-left crop of the output fed to the backbone. Defaults to 224.
        lr: Adam learning rate. Defaults to 1e-3.
        max_iter: The reference's ``max_iter``; ``max_iter + 1`` steps are taken (its ``while n <= max_iter``).
        device: Where to fit.
    """
    if len(seeds) != len(targets):
        raise ValueError(f'{len(seeds)} seeds for {len(targets)} targets')
    device = torch.device(device)
    net = SkipGenerator.pack([seeded_generator(s, config) for s in seeds]).to(device).train()
    noise = torch.cat([dip_noise(s, config.input_depth, noise_size, noise_scale) for s in seeds], dim=1).to(device)
    targets = targets.detach().to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    losses = []
    for _ in range(max_iter + 1):
        optimizer.zero_grad(set_to_none=True)
        maps = stage_map(net(noise)[:, :, :crop, :crop])
        per_fit = ((maps - targets) ** 2).flatten(1).mean(1)  # nn.MSELoss of each fit on its own
        per_fit.sum().backward()
        optimizer.step()
        losses.append(per_fit.detach().cpu().tolist())
    with torch.no_grad():  # the reference renders with the generator still in training mode
        images = net(noise)[:, :, :crop, :crop].detach().cpu()
    return Inversion(images, losses, max_iter + 1)


def to_uint8_image(normalised: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """De-normalise ``(..., 3, H, W)`` with the method's mean/std (0-255 scale, as the project stores them),
    clamp to [0, 1] and truncate to 8 bits (torchvision's ``ToPILImage`` of a float tensor)."""
    mean_t = torch.as_tensor(mean, dtype=torch.float32).view(3, 1, 1) / 255
    std_t = torch.as_tensor(std, dtype=torch.float32).view(3, 1, 1) / 255
    return (normalised.float() * std_t + mean_t).clamp(0, 1).mul(255).to(torch.uint8)
