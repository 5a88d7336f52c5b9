"""Frozen-backbone features, extracted once and cached on disk.

Extraction follows the paper's linear protocol: backbone in eval mode, a named evaluation transform
(:mod:`mmssl_transfer.datasets.classification.pipelines`; by default resize the shorter side to 224 (bicubic,
PIL), centre crop 224), the method's own input normalisation (SimCLR: [0, 1] input), global average pooling of
the last stage (2048-d for a ResNet-50), no scaling. Batched under
``torch.inference_mode`` with mmengine's progress bar. When launched distributed
(:func:`mmssl_transfer.distributed.init_distributed`), rank r extracts the whole batches r, r + W, ... of the
single-process run (same batch compositions, so the same numbers bit for bit) and every rank receives all
features in dataset order; rank 0 alone writes the cache entry while the others wait.

A ViT row of the zoo (:data:`~mmssl_transfer.checkpoints.VIT_ZOO`) is read by :class:`ViTFeatureExtractor`
instead: ``feature='default'`` is the benchmark-wide ViT feature (final-norm CLS concatenated with the mean of the
final-norm patch tokens, as DINO's ViT-B and DINOv2's linear evaluations), ``'method'`` the row's own
linear-evaluation feature (DINO/iBOT ViT-S: last-4 CLS; DINOv2: last-4 CLS and the patch mean, the input of its
released linear heads; MoCo v3: CLS; MAE: CLS through a BatchNorm without affine,
``'cls_bn'``, whose standardisation the linear probe applies with the training features' statistics), or any
name of :data:`~mmssl_transfer.models.backbones.ssl_vit.VIT_FEATURES`.

The cache is keyed by everything that changes the numbers: checkpoint sha256, dataset and its root, split and
its options, transform (its whole pipeline, decoding included) and layer, and for a ViT the feature definition.
Each entry is a ``.safetensors`` file (features, labels) plus a JSON marker written after it that records the
file's sha256; an entry whose marker is missing or whose checksum does not match (partial write, corruption) is
rebuilt, so a finished entry is never recomputed and a broken one is never trusted.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from safetensors.torch import load_file, save_file

from mmssl_transfer.checkpoints import BackboneIdentity, IdentityMemo, identify
from mmssl_transfer.datasets.classification.pipelines import EvalTransform, get_eval_transform
from mmssl_transfer.distributed import all_true, batch_shard, gather_in_order, rank_and_world, run_on_main
from mmssl_transfer.fileio import atomic_path, file_sha256
from mmssl_transfer.results import write_json_atomic

CACHE_VERSION = 1


@dataclass
class FeatureSet:
    """Features ``(N, D)`` float32 with labels ``(N,)`` int64 (or ``(N, K)`` 0/1 for multi-label)."""

    features: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return self.features.shape[0]


@dataclass(frozen=True)
class ExtractionSpec(EvalTransform):
    """Transform and layer of an extraction (all part of the cache key).

    The transform fields are those of :class:`~mmssl_transfer.datasets.classification.pipelines.EvalTransform`
    (defaults: the ``linear_eval`` transform, shorter side 224 bicubic, centre crop 224);
    :meth:`from_transform` takes a named one (e.g. ``'paper_fewshot'``).

    Attributes:
        stage: ResNet stage (1..4) whose output is average pooled. Defaults to 4 (2048-d).
    """

    stage: int = 4

    @classmethod
    def from_transform(cls, transform: str | EvalTransform, stage: int = 4) -> 'ExtractionSpec':
        """The spec of a named (or given) evaluation transform and ``stage``."""
        transform = get_eval_transform(transform) if isinstance(transform, str) else transform
        return cls(**asdict(transform), stage=stage)


class FeatureCache:
    """Folder of cached feature sets: ``<root>/<dataset>/<split>/<tag>-<key>.safetensors`` + ``.json``."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    @staticmethod
    def key(fields: dict[str, Any]) -> str:
        blob = json.dumps({'cache_version': CACHE_VERSION, **fields}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]

    def path(self, dataset: str, split: str, tag: str, key: str) -> Path:
        return self.root / dataset / split / f'{tag}-{key}.safetensors'

    def load(self, path: Path) -> FeatureSet | None:
        """The cached set, or None when absent, partial or corrupt (a warning says which)."""
        marker = path.with_suffix('.json')
        if not path.exists() and not marker.exists():
            return None
        logger = MMLogger.get_current_instance()
        try:
            info = json.loads(marker.read_text())
            if file_sha256(path) != info['sha256']:
                raise ValueError('checksum mismatch')
            tensors = load_file(str(path))
            features, labels = tensors['features'], tensors['labels']
            if features.shape[0] != info['num_samples'] or labels.shape[0] != info['num_samples']:
                raise ValueError('wrong number of samples')
        except (OSError, ValueError, KeyError, json.JSONDecodeError, RuntimeError) as exc:
            logger.warning(f'feature cache {path}: unusable ({type(exc).__name__}: {exc}); rebuilding')
            return None
        return FeatureSet(features, labels)

    def save(self, path: Path, features: FeatureSet, fields: dict[str, Any]) -> None:
        """Write the tensors atomically, then the marker with their checksum (the marker means complete)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.with_suffix('.json').unlink(missing_ok=True)
        with atomic_path(path) as tmp:
            save_file({'features': features.features.contiguous(), 'labels': features.labels.contiguous()},
                      str(tmp))
        write_json_atomic(path.with_suffix('.json'), {
            'sha256': file_sha256(path), 'num_samples': len(features), 'dim': int(features.features.shape[1]),
            'key': fields})


def identity_memo(cache_dir: str | os.PathLike) -> IdentityMemo:
    """The checkpoint hashes and detections remembered beside a feature cache, so a run whose features are all
    cached neither hashes nor converts its checkpoint (a JSON file without the ``.json`` suffix, which marks
    the cache entries)."""
    return IdentityMemo(Path(cache_dir) / 'checkpoint-identities')


def dataset_labels(dataset) -> torch.Tensor:
    """Labels of every sample: class ids, or a 0/1 matrix for multi-label datasets (positives in a list)."""
    infos = [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))]
    if infos and isinstance(infos[0], (list, tuple, np.ndarray)):
        out = torch.zeros(len(infos), len(dataset.CLASSES), dtype=torch.uint8)
        for i, positives in enumerate(infos):
            out[i, list(positives)] = 1
        return out
    return torch.as_tensor([int(v) for v in infos], dtype=torch.long)


class GAPFeatureExtractor(torch.nn.Module):
    """Normalise 0-255 BGR batches (mmcv's loading convention) and global-average-pool one backbone stage.

    The batch is stacked and sent to the device as uint8 (4x less traffic than float), then flipped to RGB and
    normalised in one vectorised step (mmpretrain's ClsDataPreprocessor does the same per image).
    """

    def __init__(self, backbone: torch.nn.Module, mean: list[float], std: list[float], stage: int = 4) -> None:
        super().__init__()
        self.backbone = backbone
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.stage = stage

    def forward(self, batch: dict) -> torch.Tensor:
        x = torch.stack(batch['inputs']).to(self.mean.device, non_blocking=True)
        x = (x.flip(1).float() - self.mean) / self.std
        outs = self.backbone(x)
        return outs[self.backbone.out_indices.index(self.stage - 1)].mean((2, 3)).float()


class ViTFeatureExtractor(GAPFeatureExtractor):
    """Normalise like :class:`GAPFeatureExtractor`, then return the ViT backbone's vector feature."""

    def forward(self, batch: dict) -> torch.Tensor:
        x = torch.stack(batch['inputs']).to(self.mean.device, non_blocking=True)
        return self.backbone((x.flip(1).float() - self.mean) / self.std)[0].float()


#: The ViT features a probe may name beyond the backbone's outputs: MAE's CLS through BatchNorm1d(affine=False).
CLS_BN = 'cls_bn'
#: The benchmark-wide feature of each architecture.
DEFAULT_FEATURES = {'resnet50': 'gap', 'vit': 'cls_patch_mean'}


def vit_row(identity: BackboneIdentity):
    """The zoo ViT row a probe's backbone is (``None`` for a ResNet-50 or a random initialisation).

    A given method names it; for ``'auto'`` the identity's detection does (remembered by its memo, else from the
    identity's one conversion, which the extractor then loads): a file a name alone tells apart (a tiny DINOv2
    reg4 file) is its first candidate's layout.
    """
    from mmssl_transfer.checkpoints import get_method
    if identity.requested != 'auto':
        spec = get_method(identity.requested)
    elif identity.is_scratch:
        return None
    else:
        spec = get_method(identity.candidates[0])
    return spec if spec.vit is not None else None


def feature_definition(row, feature: str = 'default') -> str:
    """The feature a probe extracts: ``'gap'`` for a ResNet-50; for a ViT row ``'default'`` ->
    ``'cls_patch_mean'``, ``'method'`` -> the row's own linear-evaluation feature, or a name of ``VIT_FEATURES``."""
    from mmssl_transfer.models.backbones.ssl_vit import VIT_FEATURES
    if row is None:
        if feature not in ('default', 'gap'):
            raise ValueError(f'feature={feature!r} is for ViT checkpoints; a ResNet-50 gives the pooled stage')
        return DEFAULT_FEATURES['resnet50']
    name = {'default': DEFAULT_FEATURES['vit'], 'method': row.linear_feature}.get(feature, feature)
    if name not in (set(VIT_FEATURES) - {'featmap'}) | {CLS_BN}:
        raise ValueError(f'unknown ViT feature {feature!r}; known: default, method, '
                         f'{", ".join(sorted((set(VIT_FEATURES) - {"featmap"}) | {CLS_BN}))}')
    return name


def build_extractor(checkpoint: str | os.PathLike | BackboneIdentity | None, method: str = 'auto',
                    base_channels: int = 64, stage: int = 4, seed: int = 0,
                    feature: str = 'default') -> GAPFeatureExtractor:
    """SSLResNet (strictly loaded, eval mode) + GAP of ``stage`` with the method's input normalisation; for a ViT
    row SSLViT with the named ``feature`` (any ``base_channels`` but 64 means a toy ViT file: width and depth
    follow it).

    The backbone loads the identity's conversion (:func:`~mmssl_transfer.checkpoints.identify`), so a run that
    builds several extractors converts its checkpoint once.
    """
    from mmpretrain.registry import MODELS

    import mmssl_transfer.models  # noqa: F401  (registers SSLResNet)
    identity = identify(checkpoint, method)
    torch.manual_seed(seed)  # random-init (from-scratch) features are reproducible
    row = vit_row(identity)
    if row is not None:
        name = feature_definition(row, feature)
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            backbone = MODELS.build(dict(type='SSLViT', checkpoint=None if identity.is_scratch else identity,
                                         method=row.name, out_type='cls' if name == CLS_BN else name,
                                         toy=base_channels != 64))
        backbone.init_weights()
        norm = backbone.input_normalization
        return ViTFeatureExtractor(backbone, norm['mean'], norm['std']).eval()
    feature_definition(None, feature)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        backbone = MODELS.build(dict(type='SSLResNet', checkpoint=None if identity.is_scratch else str(identity.path),
                                     method=identity.requested, base_channels=base_channels,
                                     out_indices=(stage - 1,)))
    if identity.is_scratch:
        backbone.init_weights()
    else:
        backbone.load_conversion(identity.conversion)
    norm = backbone.input_normalization
    return GAPFeatureExtractor(backbone, norm['mean'], norm['std'], stage).eval()


@torch.inference_mode()
def extract_features(extractor: torch.nn.Module, dataset, batch_size: int = 64, num_workers: int = 2,
                     device: str | torch.device | None = None, progress: bool = True) -> torch.Tensor:
    """Features of every sample of an mmengine dataset (pipeline set), in dataset order.

    Distributed: each rank extracts its share of whole batches (:func:`~mmssl_transfer.distributed.batch_shard`)
    and every rank returns all features in dataset order, equal bit for bit to a single-process run's.
    """
    from mmengine.dataset import pseudo_collate
    from mmengine.utils import ProgressBar
    rank, world = rank_and_world()
    device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    extractor = extractor.to(device).eval()
    indices = batch_shard(len(dataset), batch_size)
    loader = torch.utils.data.DataLoader(torch.utils.data.Subset(dataset, indices), batch_size=batch_size,
                                         num_workers=num_workers, collate_fn=pseudo_collate, shuffle=False,
                                         pin_memory=device.type == 'cuda')
    bar = ProgressBar(len(dataset)) if progress and rank == 0 else None
    chunks = []
    for batch in loader:
        chunks.append(extractor(batch).cpu())
        if bar is not None:
            for _ in range(min(len(batch['inputs']) * world, len(dataset) - bar.completed)):
                bar.update()
    features = torch.cat(chunks) if chunks else torch.zeros(0)
    return gather_in_order(features, indices, len(dataset))


def cached_features(cache_dir: str | os.PathLike, checkpoint: str | os.PathLike | BackboneIdentity | None,
                    dataset_name: str,
                    split: str, *, data_root: str | None = None, method: str = 'auto', base_channels: int = 64,
                    spec: ExtractionSpec = ExtractionSpec(), batch_size: int = 64, num_workers: int = 2,
                    device: str | None = None, seed: int = 0, progress: bool | None = None,
                    dataset_kwargs: dict | None = None, feature: str = 'default') -> FeatureSet:
    """Features of one dataset split from the cache, extracting (and caching) them on a miss.

    Args:
        cache_dir: Cache folder.
        checkpoint: Its identity (:func:`~mmssl_transfer.checkpoints.identify`), a checkpoint file (any zoo
            format) or zoo name, or None for a seeded random initialisation.
        dataset_name: Name in :data:`~mmssl_transfer.datasets.classification.CLS_DATASETS`.
        split: ``train``, ``val``, ``trainval``, ``test`` or ``all``.
        data_root: Dataset folder. Defaults to the table's ``data/...`` location.
        seed: Seeds the random initialisation when ``checkpoint`` is None (part of its cache key).
        method: Zoo method of the checkpoint or ``'auto'``. Defaults to 'auto'.
        base_channels: Backbone width (64 for ResNet-50). Defaults to 64.
        spec: Transform and layer. Defaults to the paper's (224 / 224 bicubic, stage 4).
        dataset_kwargs: Extra dataset arguments (e.g. ``split_seed``) over the catalog's defaults (e.g.
            Caltech101's ``caltech_split='paper'``); all part of the key.
        progress: Show a progress bar. Defaults to None (when stdout is a terminal).
        feature: For a ViT checkpoint: ``'default'``, ``'method'`` or a feature name (see module docstring);
            its definition is part of the key. Defaults to 'default'.
    """
    from mmengine.dataset import Compose
    from mmpretrain.registry import TRANSFORMS

    from mmssl_transfer.datasets.classification import build_cls_dataset, get_cls_dataset
    dataset_kwargs = get_cls_dataset(dataset_name).dataset_kwargs(**(dataset_kwargs or {}))  # + the catalog's
    root = str(Path(data_root or get_cls_dataset(dataset_name).data_root).resolve())
    identity = identify(checkpoint, method, memo=identity_memo(cache_dir))
    sha = identity.sha256
    fields = dict(checkpoint_sha256=sha or f'random-init-seed{seed}', method=method, base_channels=base_channels,
                  dataset=dataset_name, data_root=root, split=split, dataset_kwargs=dataset_kwargs,
                  transform=asdict(spec), pipeline=spec.pipeline(False, dataset_name))  # the decode step too
    if split in ('train', 'val'):  # which images a held-out val takes (the paper's draw since issue 11)
        fields['val_split'] = dataset_kwargs.get('val_split', 'paper')
    definition = feature_definition(vit_row(identity), feature)
    if definition != DEFAULT_FEATURES['resnet50']:  # ResNet-50 keys stay those of the entries already cached
        fields['feature'] = definition
    cache = FeatureCache(cache_dir)
    key = FeatureCache.key(fields)
    tag = identity.tag
    path = cache.path(dataset_name, split, tag, key)
    hit = cache.load(path)
    if all_true(hit is not None):  # every rank reads a complete entry, or all extract (one decision)
        return hit
    dataset = build_cls_dataset(dataset_name, root, split, **dataset_kwargs)
    labels = dataset_labels(dataset)
    in_memory = 'img' in dataset.get_data_info(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset.pipeline = Compose([TRANSFORMS.build(t) for t in spec.pipeline(in_memory, dataset_name)])
    extractor = build_extractor(identity, method, base_channels, spec.stage, seed, feature)
    if progress is None:
        progress = sys.stdout.isatty()
    features = extract_features(extractor, dataset, batch_size, num_workers, device, progress)
    result = FeatureSet(features.clone(), labels)  # a normal tensor (autograd-usable), not an inference one
    run_on_main(lambda: cache.save(path, result, fields))  # one writer; the others wait until it is complete
    return result
