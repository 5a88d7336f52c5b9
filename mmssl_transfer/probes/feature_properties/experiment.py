"""One checkpoint x the image set -> one ``feature_properties`` result record (paper Table 9, columns 5-11).

Per image: the DIP reconstruction of its ``layer4`` map (:mod:`.dip`), LPIPS with three trunks and the per-channel
colour error between the 224 crop and the reconstruction (:mod:`.perceptual`), and the occlusion saliency map and
its attentive diffusion (:mod:`.saliency`). The record holds the means over images, every image's id, seed and
values, the settings and the variant (``paper`` only at the paper's settings on its 15 datasets, one image each);
the reconstructions and saliency maps are written as PNGs beside it.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from mmengine.logging import MMLogger

from mmssl_transfer.checkpoints import BackboneIdentity, identify
from mmssl_transfer.distributed import batch_shard, rank_and_world, run_on_main
from mmssl_transfer.results import PAPER_VARIANT, TransferResult, deviations, make_record
from mmssl_transfer.tasks import PAPER_FEATURE_PROPERTIES_PROTOCOL

from ..features import build_extractor
from .dip import SkipConfig, invert_features, to_uint8_image
from .images import RECOGNITION_DATASETS, PropertyImage, load_images
from .perceptual import LPIPS_NETS, build_lpips, colour_error, fetch_trunk_weights, lpips_distance, pretrained_lpips
from .saliency import OcclusionGrid, attentive_diffusion, occlusion_saliency

#: Everything a run sets, at the paper's values: the ``feature_properties`` row of :data:`mmssl_transfer.tasks.TASKS`
#: (App. A.8-A.9 and Zhao et al.'s code, each setting citing its source). Which of the 15 datasets a run covers is
#: not part of it (a suite runs one cell per dataset; the record names its images).
_PAPER = PAPER_FEATURE_PROPERTIES_PROTOCOL

METRICS = ('lpips_alex', 'lpips_vgg', 'lpips_squeeze', 'err_r', 'err_g', 'err_b', 'attentive_diffusion')


@dataclass
class PropertySettings:
    """The run's settings (defaults: the paper's, from the table of tasks). ``lpips_trunks='random'`` is for tests
    only."""

    datasets: tuple[str, ...] = RECOGNITION_DATASETS
    images_per_dataset: int = _PAPER['images_per_dataset']
    target_resize: int = _PAPER['target_resize']
    crop: int = _PAPER['crop']
    noise_size: int = _PAPER['noise_size']
    generator_scales: int = _PAPER['generator_scales']
    lr: float = _PAPER['lr']
    max_iter: int = _PAPER['max_iter']
    saliency_size: int = _PAPER['saliency_size']
    patch: int = _PAPER['patch']
    stride: int = _PAPER['stride']
    amp: bool = _PAPER['amp']
    lpips_trunks: str = _PAPER['lpips_trunks']
    seed: int = 0
    fits_per_batch: int = 4
    occlusion_batch: int = 256
    data_roots: dict[str, str] = field(default_factory=dict)

    def protocol_fields(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in PAPER_FEATURE_PROPERTIES_PROTOCOL}

    def image_set(self) -> str:
        """The record's ``dataset``: ``recognition15`` for all 15, else the names joined by ``+``."""
        return 'recognition15' if tuple(self.datasets) == RECOGNITION_DATASETS else '+'.join(self.datasets)

    def generator(self) -> SkipConfig:
        n = self.generator_scales
        base = SkipConfig()
        return SkipConfig(base.input_depth, base.channels[:n], base.skip_channels[:n], base.filters[:n])


class _Frozen:
    """The checkpoint's backbone (eval, no grad on its weights) seen through its own input normalisation."""

    def __init__(self, identity: BackboneIdentity, base_channels: int, seed: int, device: torch.device) -> None:
        extractor = build_extractor(identity, base_channels=base_channels, stage=4, seed=seed).to(device).eval()
        for p in extractor.parameters():
            p.requires_grad_(False)
        self.backbone = extractor.backbone
        self.mean, self.std = extractor.mean, extractor.std  # 0-255 units
        norm = self.backbone.input_normalization
        self.mean_list, self.std_list = norm['mean'], norm['std']

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        return (images.to(self.mean.device).float() - self.mean) / self.std

    def stage_map(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)[0]

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)[0].mean((2, 3))


def _lpips_models(trunks: str, cache_dir: str | None, device: torch.device) -> dict[str, torch.nn.Module]:
    if trunks == 'random':
        MMLogger.get_current_instance().warning('LPIPS with RANDOM trunks: the LPIPS numbers mean nothing (tests)')
        return {n: build_lpips(n, None).to(device) for n in LPIPS_NETS}
    run_on_main(lambda: [fetch_trunk_weights(n, cache_dir) for n in LPIPS_NETS])  # one downloader
    return {n: pretrained_lpips(n, cache_dir, allow_download=False).to(device) for n in LPIPS_NETS}


def _gather_rows(rows: list[dict], indices: list[int], total: int) -> list[dict]:
    """Every rank's per-image rows, in image order, on every rank (one process: ``rows`` as they are)."""
    if rank_and_world()[1] == 1:
        return rows
    from mmengine.dist import all_gather_object
    by_index = {i: row for part_indices, part_rows in all_gather_object((indices, rows))
                for i, row in zip(part_indices, part_rows)}
    if sorted(by_index) != list(range(total)):
        raise RuntimeError(f'feature properties: the ranks computed images {sorted(by_index)} of {total}')
    return [by_index[i] for i in range(total)]


def _save_png(path: Path, image: np.ndarray, cmap: str | None = None) -> str:
    import matplotlib.pyplot as plt
    path.parent.mkdir(parents=True, exist_ok=True)
    plt.imsave(path, image, cmap=cmap)
    return str(path)


def feature_properties_result(checkpoint: str | os.PathLike | None, settings: PropertySettings = PropertySettings(),
                              *, method: str = 'auto', base_channels: int = 64, device: str | None = None,
                              png_dir: str | os.PathLike | None = None,
                              lpips_cache_dir: str | None = None) -> TransferResult:
    """Reconstruction, perceptual and colour errors, saliency and attentive diffusion of one checkpoint.

    Launched distributed, each process fits and maps whole batches of ``fits_per_batch`` images (image k keeps
    seed ``seed + k`` and its batch-mates), and every process returns the same record.

    Args:
        checkpoint: Checkpoint file (any zoo format), or None for a seeded random initialisation.
        settings: Image set, DIP, saliency and LPIPS settings. Defaults to the paper's.
        method / base_channels: As for the probes (toy checkpoints: width 8).
        device: cuda / cpu. Defaults to cuda when available.
        png_dir: Folder for the reconstructions and saliency maps (PNG). Defaults to none written.
        lpips_cache_dir: Where the LPIPS trunk weights are cached. Defaults to ``$MMSSL_CACHE/lpips``.
    """
    device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    identity = identify(checkpoint, method)  # resolved, hashed and converted once for the record and the network
    images = load_images(settings.datasets, settings.images_per_dataset, settings.data_roots,
                         settings.target_resize, settings.crop, settings.saliency_size)  # bad data fails first
    frozen = _Frozen(identity, base_channels, settings.seed, device)
    lpips_models = _lpips_models(settings.lpips_trunks, lpips_cache_dir, device)
    grid = OcclusionGrid(settings.saliency_size, settings.patch, settings.stride)
    mine = batch_shard(len(images), settings.fits_per_batch)  # whole batches of fits: the same on any world size
    per_image = []
    for start in range(0, len(mine), settings.fits_per_batch):
        chunk: list[PropertyImage] = [images[i] for i in mine[start:start + settings.fits_per_batch]]
        seeds = [settings.seed + i for i in mine[start:start + settings.fits_per_batch]]
        with torch.no_grad():
            targets = frozen.stage_map(frozen.normalise(torch.stack([im.target for im in chunk])))
        fit = invert_features(frozen.stage_map, targets, seeds, settings.generator(), settings.noise_size,
                              crop=settings.crop, lr=settings.lr, max_iter=settings.max_iter, device=device)
        recon = to_uint8_image(fit.images, frozen.mean_list, frozen.std_list)
        originals = torch.stack([im.target for im in chunk])
        distances = {n: lpips_distance(m, originals, recon) for n, m in lpips_models.items()}
        for i, im in enumerate(chunk):
            saliency = occlusion_saliency(frozen.pooled, frozen.normalise(im.saliency[None])[0], grid,
                                          settings.occlusion_batch, amp=settings.amp)
            colour = colour_error(originals[i], recon[i])
            row = dict(dataset=im.dataset, index=im.index, image_id=im.image_id, seed=seeds[i],
                       **{f'lpips_{n}': float(d[i]) for n, d in distances.items()},
                       **{f'err_{c.lower()}': v for c, v in colour.items()},
                       attentive_diffusion=attentive_diffusion(saliency),
                       final_feature_loss=fit.losses[-1][i], first_feature_loss=fit.losses[0][i])
            if png_dir is not None:
                stem = Path(png_dir) / f'{im.dataset}_{im.index}'
                row['pngs'] = dict(
                    original=_save_png(Path(f'{stem}_original.png'), originals[i].permute(1, 2, 0).numpy()),
                    reconstruction=_save_png(Path(f'{stem}_reconstruction.png'), recon[i].permute(1, 2, 0).numpy()),
                    saliency=_save_png(Path(f'{stem}_saliency.png'), saliency.numpy(), cmap='jet'),
                    saliency_view=_save_png(Path(f'{stem}_saliency_view.png'),  # the pixels the map covers
                                            im.saliency[:, grid.kept, grid.kept].permute(1, 2, 0).numpy()))
            per_image.append(row)
            MMLogger.get_current_instance().info(
                f'feature properties {im.dataset}[{im.index}]: ' + ', '.join(f'{k}={row[k]:.4g}' for k in METRICS))
    per_image = _gather_rows(per_image, mine, len(images))
    fields = settings.protocol_fields()
    paper = not deviations(fields, PAPER_FEATURE_PROPERTIES_PROTOCOL)
    metrics = {k: float(np.mean([r[k] for r in per_image])) for k in METRICS}
    hparams = {**fields, 'steps': settings.max_iter + 1, 'seed': settings.seed,
               'fits_per_batch': settings.fits_per_batch, 'datasets': list(settings.datasets)}
    return make_record(
        'feature_properties', identity, dataset=settings.image_set(),
        protocol=PAPER_VARIANT if paper else 'variant', metrics=metrics, settings=fields, hparams=hparams,
        extra={'images': per_image, 'image_ids': [f'{r["dataset"]}/{r["image_id"]}' for r in per_image],
               'seeds': [r['seed'] for r in per_image], 'generator': asdict(settings.generator()),
               'colour_error_scale': 'per-channel pixel MSE, 0-255', 'checkpoint': str(checkpoint),
               'normalization': {'mean': frozen.mean_list, 'std': frozen.std_list}})
