"""How far a reconstruction is from its original: LPIPS (Zhang et al. CVPR 2018) and per-channel colour error.

LPIPS is the ``lpips`` package's (version 0.1 linear layers, shipped inside the package) with the AlexNet, VGG-16
and SqueezeNet-1.1 trunks the paper reports. The trunks' ImageNet weights are torchvision's files, fetched like every
other download of the project (:func:`mmssl_transfer.download.download`: cached under ``$MMSSL_CACHE/lpips``,
resumable, and checked against the sha256 prefix torchvision publishes in the file name) and loaded with
``weights_only=True``, every trunk parameter accounted for. The package is asked for a random trunk
(``pnet_rand=True``) only so that it does not download anything itself; a real run never measures with it: a trunk
that cannot be fetched is an error (:class:`LPIPSWeightsError`).

Colour error (Table 9, columns 8-10): the mean over pixels of the squared difference of each of R, G, B between the
8-bit original and reconstruction, on the 0-255 scale (the reading under which the paper's 2,400-4,600 are MSEs).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mmssl_transfer.download import DownloadError, cache_root, download
from mmssl_transfer.errors import InputError
from mmssl_transfer.fileio import file_digest

LPIPS_NETS = ('alex', 'vgg', 'squeeze')


class LPIPSWeightsError(InputError):
    """A trunk's pretrained weights are missing, damaged or do not fit the trunk."""


@dataclass(frozen=True)
class TrunkWeights:
    """torchvision's ImageNet weights of one LPIPS trunk (the files ``lpips`` loads through torchvision).

    Attributes:
        url: Download address.
        sha256_prefix: The leading sha256 digits torchvision publishes in the file name.
    """

    url: str
    sha256_prefix: str

    @property
    def filename(self) -> str:
        return self.url.rsplit('/', 1)[-1]


TRUNK_WEIGHTS: dict[str, TrunkWeights] = {
    'alex': TrunkWeights('https://download.pytorch.org/models/alexnet-owt-7be5be79.pth', '7be5be79'),
    'vgg': TrunkWeights('https://download.pytorch.org/models/vgg16-397923af.pth', '397923af'),
    'squeeze': TrunkWeights('https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth', 'b8a52dc0'),
}


def lpips_cache_dir() -> Path:
    """``$MMSSL_CACHE/lpips``: where the trunk weights are kept."""
    return cache_root() / 'lpips'


def fetch_trunk_weights(net: str, cache_dir: str | os.PathLike | None = None, allow_download: bool = True) -> Path:
    """The checked local file of ``net``'s trunk weights, downloaded into the cache when absent.

    Raises:
        LPIPSWeightsError: The file is absent and cannot be downloaded, or its digest is not torchvision's.
    """
    spec = TRUNK_WEIGHTS[net]
    folder = Path(cache_dir) if cache_dir is not None else lpips_cache_dir()
    path = folder / spec.filename
    if not path.exists():
        if not allow_download:
            raise LPIPSWeightsError(f'{path}: LPIPS {net} trunk weights missing; download {spec.url} there '
                                    '(the run refuses to measure with a random trunk)')
        try:
            path = download(spec.url, folder)
        except DownloadError as exc:
            raise LPIPSWeightsError(f'{path}: LPIPS {net} trunk weights could not be downloaded ({exc}); put '
                                    f'{spec.url} there by hand') from None
    digest = file_digest(path, 'sha256')
    if not digest.startswith(spec.sha256_prefix):
        raise LPIPSWeightsError(f'{path}: sha256 {digest[:8]}... is not torchvision\'s {spec.sha256_prefix}...; '
                                'delete the file and download it again')
    return path


def load_trunk(model: torch.nn.Module, state: dict[str, torch.Tensor], source: str = 'trunk weights') -> None:
    """Copy torchvision ``features.<i>.*`` tensors into an ``lpips.LPIPS`` model's trunk (``net.slice<k>.<i>.*``).

    Every trunk parameter must be found (the classifier tensors of the file are not part of the trunk).
    """
    trunk = model.net.state_dict()
    missing = []
    for name in trunk:
        _, index, leaf = name.split('.', 2)  # slice<k>.<i>.<weight|bias>: i is torchvision's own index
        key = f'features.{index}.{leaf}'
        if key not in state or state[key].shape != trunk[name].shape:
            missing.append(key)
            continue
        trunk[name] = state[key]
    if missing:
        raise LPIPSWeightsError(f'{source}: does not fit the LPIPS trunk (missing or misshapen {missing[:4]})')
    model.net.load_state_dict(trunk)


def build_lpips(net: str, trunk_state: dict[str, torch.Tensor] | None) -> torch.nn.Module:
    """``lpips.LPIPS`` (v0.1 linear layers) of ``net`` in eval mode with the given trunk tensors.

    ``trunk_state=None`` keeps the package's random trunk: only for tests (the numbers mean nothing).
    """
    import lpips
    if net not in LPIPS_NETS:
        raise ValueError(f'LPIPS net {net!r}; expected one of {LPIPS_NETS}')
    model = lpips.LPIPS(net=net, version='0.1', pnet_rand=True, verbose=False)
    if trunk_state is not None:
        load_trunk(model, trunk_state)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval()


def pretrained_lpips(net: str, cache_dir: str | os.PathLike | None = None,
                     allow_download: bool = True) -> torch.nn.Module:
    """LPIPS of ``net`` with torchvision's ImageNet trunk (fetched and checked); never a random trunk."""
    path = fetch_trunk_weights(net, cache_dir, allow_download)
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as exc:  # noqa: BLE001 (any unreadable file is the same user error)
        raise LPIPSWeightsError(f'{path}: not a readable weights file ({type(exc).__name__}: {exc})') from None
    model = build_lpips(net, None)
    load_trunk(model, state, str(path))
    return model


def to_lpips_input(images: torch.Tensor) -> torch.Tensor:
    """``(N, 3, H, W)`` uint8 RGB -> float in [-1, 1], the range LPIPS expects."""
    return images.float() / 127.5 - 1.0


@torch.inference_mode()
def lpips_distance(model: torch.nn.Module, originals: torch.Tensor, reconstructions: torch.Tensor) -> torch.Tensor:
    """LPIPS of each pair of 8-bit RGB images ``(N, 3, H, W)``: ``(N,)`` float."""
    device = next(model.parameters()).device
    out = model(to_lpips_input(originals).to(device), to_lpips_input(reconstructions).to(device))
    return out.flatten().float().cpu()


def colour_error(original: np.ndarray | torch.Tensor, reconstruction: np.ndarray | torch.Tensor) -> dict[str, float]:
    """Per-channel pixel MSE on the 0-255 scale of two 8-bit RGB images ``(3, H, W)``: ``{'R', 'G', 'B'}``."""
    a = np.asarray(original, dtype=np.float64)
    b = np.asarray(reconstruction, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 3 or a.shape[0] != 3:
        raise ValueError(f'need two (3, H, W) images of one shape, got {a.shape} and {b.shape}')
    per_channel = ((a - b) ** 2).reshape(3, -1).mean(axis=1)
    return dict(zip('RGB', per_channel.tolist()))
