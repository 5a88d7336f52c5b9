"""One checkpoint x one dataset -> TransferResult, for the linear probe and few-shot protocols.

These glue the pieces together: cached features (:mod:`.features`), the solver / episode code, the dataset
table, and the result record. The tools in ``tools/`` only parse flags and call these.
"""
from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import torch
from mmengine.logging import MMLogger

from mmssl_transfer.checkpoints import BackboneIdentity, identify
from mmssl_transfer.datasets.classification import ClsDatasetSpec, get_cls_dataset
from mmssl_transfer.datasets.classification.pipelines import get_eval_transform
# the record (its variant named against the task's paper settings in mmssl_transfer.tasks) is built by results.py
from mmssl_transfer.results import TransferResult, deviations, make_record, result_filename, write_result
from mmssl_transfer.tasks import LINEAR_PROBE_WDS

from .errors import ProbeInputError
from .features import (CLS_BN, DEFAULT_FEATURES, ExtractionSpec, FeatureSet, cached_features, feature_definition,
                       identity_memo, vit_row)
from .fewshot import FewShotSkip, run_fewshot
from .linear_probe import LINEAR_PROTOCOLS, run_linear_probe
from .paper_c import paper_selected_c


def checkpoint_identity(checkpoint: str | os.PathLike | BackboneIdentity | None,
                        method: str = 'auto') -> tuple[str, str]:
    """``(method, sha256)`` of a checkpoint (format detection when ``method='auto'``); scratch: ('scratch', '')."""
    identity = identify(checkpoint, method)
    return identity.method, identity.sha256


def _paper_c_for(identity: BackboneIdentity, dataset: str) -> float:
    """The paper's selected C for the checkpoint's method; unknown or ambiguous methods are an error."""
    if identity.is_scratch:
        raise ProbeInputError('--paper-c needs a checkpoint of one of the paper\'s methods, not --from-scratch')
    if len(identity.candidates) > 1:
        raise ProbeInputError(f'{identity.argument}: --paper-c needs the method, but the checkpoint layout fits '
                              f'{", ".join(identity.candidates)}; pass --method')
    return paper_selected_c(identity.method, dataset)


def dataset_deviations(entry: ClsDatasetSpec, dataset_options: dict | None) -> list[str]:
    """``key=value`` for each dataset option that differs from the catalog's default (the paper's: e.g.
    ``caltech_split=seeded30``), to join a probe's variant."""
    return deviations(entry.dataset_kwargs(**(dataset_options or {})), entry.dataset_kwargs())


def _linear_eval_spec(size: int, stage: int) -> ExtractionSpec:
    return ExtractionSpec.from_transform(get_eval_transform('linear_eval', size), stage=stage)


def _features(split: str, **kw) -> FeatureSet:
    return cached_features(split=split, **kw)


def linear_probe_result(checkpoint: str | BackboneIdentity | None, dataset: str, cache_dir: str, *,
                        data_root: str | None = None,
                        method: str = 'auto', base_channels: int = 64, spec: ExtractionSpec = ExtractionSpec(),
                        batch_size: int = 64, num_workers: int = 2, device: str | None = None,
                        wds: Sequence[float] = LINEAR_PROBE_WDS, max_iter: int | None = None,
                        tol: float | None = None, seed: int = 0, protocol: str = 'paper', c: float | None = None,
                        paper_c: bool = False, dataset_options: dict | None = None,
                        pretraining_data: str | None = None, feature: str = 'default') -> TransferResult:
    """Many-shot linear probe of one checkpoint on one dataset (features from the cache).

    Args:
        checkpoint: The backbone's identity (:func:`~mmssl_transfer.checkpoints.identify`, which the tools call
            at their entry), a checkpoint file (any zoo format) or zoo name, or None for a random initialisation.
        dataset: Many-shot dataset name of the catalog.
        cache_dir: Feature cache folder.
        data_root: Dataset folder. Defaults to the catalog's ``data/...`` location.
        method: Zoo method of the checkpoint, or ``'auto'`` (detect).
        base_channels: Backbone width (64 for ResNet-50; toy checkpoints: 8).
        spec: Extraction transform and layer. Defaults to the paper's.
        batch_size / num_workers / device: Of the feature extraction (device: also of the solver).
        wds: The weight-decay grid searched on val (``C = 1 / wd``). Defaults to the paper's 45 values.
        max_iter / tol: Override the protocol's solver settings (the record says so).
        seed: Seeds the random initialisation when ``checkpoint`` is None (the solver is deterministic).
        protocol: ``'paper'`` (the paper's sklearn solver and path, the default) or ``'converged'``.
        c: A fixed C instead of the sweep. Defaults to None.
        paper_c: Use the C the paper selected for the checkpoint's method on this dataset (no sweep).
        dataset_options: Dataset arguments over the catalog's defaults (``{'caltech_split': 'seeded30'}``); a
            result whose options differ from the defaults is not the paper's protocol.
        pretraining_data: What the backbone was pretrained on (``--pretraining-data``); None: the zoo row's.
        feature: A ViT checkpoint's feature (:mod:`.features`): ``'default'`` (the benchmark-wide CLS + mean
            patch tokens), ``'method'`` (the method's own linear-evaluation feature, a named variant) or a name.
    """
    entry = get_cls_dataset(dataset)
    if not entry.many_shot:
        raise ProbeInputError(f'{dataset} is a few-shot-only dataset; the linear probe needs train/val/test')
    if c is not None and paper_c:
        raise ProbeInputError('give either a fixed C or --paper-c, not both')
    identity = identify(checkpoint, method, memo=identity_memo(cache_dir))
    c_mode = 'paper-c' if paper_c else ('fixed' if c is not None else 'sweep')
    if paper_c:
        c = _paper_c_for(identity, dataset)
    common = dict(cache_dir=cache_dir, checkpoint=identity, dataset_name=dataset, data_root=data_root,
                  method=method, base_channels=base_channels, spec=spec, batch_size=batch_size,
                  num_workers=num_workers, device=device, seed=seed, dataset_kwargs=dataset_options,
                  feature=feature)
    train, val, test = (_features(s, **common) for s in ('train', 'val', 'test'))
    definition = feature_definition(vit_row(identity), feature)
    if definition == CLS_BN:  # MAE's BatchNorm1d(affine=False, eps=1e-6) with the training features' statistics
        mean, var = train.features.mean(0), train.features.var(0, unbiased=False)
        train, val, test = (FeatureSet((f.features - mean) / torch.sqrt(var + 1e-6), f.labels)
                            for f in (train, val, test))
    outcome = run_linear_probe(train, val, test, entry.metric, entry.multilabel, protocol=protocol,
                               wds=tuple(wds), c=c, c_mode=c_mode, device=device, max_iter=max_iter, tol=tol)
    for note in outcome.warnings:
        MMLogger.get_current_instance().warning(f'linear probe {dataset}: {note}')
    defaults = LINEAR_PROTOCOLS[protocol]
    settings = dict(protocol=protocol, C_mode=c_mode,
                    wd_grid='paper' if tuple(wds) == LINEAR_PROBE_WDS else f'{len(wds)}-point',
                    max_iter=outcome.solver['max_iter'], tol=outcome.solver['tol'],
                    transform='linear_eval' if spec == _linear_eval_spec(spec.crop, spec.stage) else 'custom',
                    image_size=spec.crop, stage=spec.stage)
    feature_note = [] if definition in DEFAULT_FEATURES.values() else [f'feature={definition}']
    return make_record(
        'linear', identity, dataset=dataset, protocol=protocol,
        metrics={entry.metric: outcome.test_value,
                 **{k: v for k, v in outcome.calibration.items() if k in ('ece', 'ece_temperature_scaled')}},
        primary_metric=entry.metric, settings=settings,
        departures=dataset_deviations(entry, dataset_options) + feature_note,
        hparams={'C': outcome.best_c, 'wd': outcome.best_wd, 'C_mode': c_mode, 'grid_size': len(wds),
                 'grid_wd_range': [min(wds), max(wds)], 'max_iter': outcome.solver['max_iter'],
                 'tol': outcome.solver['tol']},
        extra={'val_curve': outcome.val_curve, 'best_val': outcome.best_val, 'warnings': outcome.warnings,
               'solver': outcome.solver, 'protocol_description': defaults.description,
               'calibration': outcome.calibration, 'transform': asdict(spec),
               'num_train': len(train), 'num_val': len(val), 'num_test': len(test),
               'feature_dim': int(train.features.shape[1]), 'checkpoint': str(identity.argument), 'feature': definition,
               'dataset_options': entry.dataset_kwargs(**(dataset_options or {}))},
        config='tools/linear_probe.py', pretraining_data=pretraining_data)


def fewshot_results(checkpoint: str | BackboneIdentity | None, dataset: str, cache_dir: str, *,
                    shots: Sequence[int] | None = None,
                    n_way: int = 5, n_query: int = 15, n_episodes: int = 600, data_root: str | None = None,
                    method: str = 'auto', base_channels: int = 64, transform: str = 'paper_fewshot',
                    image_size: int = 224, stage: int = 4, batch_size: int = 64, num_workers: int = 2,
                    device: str | None = None, seed: int = 0, dataset_options: dict | None = None,
                    pretraining_data: str | None = None,
                    feature: str = 'default') -> tuple[list[TransferResult], dict[int, str]]:
    """N-way K-shot results of one checkpoint on one dataset, one per K; and the skipped K with reasons.

    Images are pooled from the dataset's few-shot pool (train + val + test, or everything for CD-FSL).
    K values outside the table's ``fewshot_shots`` (50-shot on Caltech101, Cars, Flowers) are skipped. Each
    result records its ``variant`` (``hparams``): ``'paper'`` when every setting is the paper's
    (:data:`~mmssl_transfer.tasks.PAPER_FEWSHOT_PROTOCOL`) and every class of the pool has K + Q images, as the
    paper's loader needs; otherwise the settings that differ (e.g. ``transform=linear_eval``), and
    ``paper_protocol`` False.
    ``extra['paper_episode_seed']`` is the seed the paper's code used on the dataset (0 for the many-shot datasets,
    None for CD-FSL, which it left unseeded); its episodes cannot be redrawn, so ``seed`` is not a variant.

    Args:
        checkpoint / dataset / cache_dir / data_root / method / base_channels / batch_size / num_workers /
            device: As in :func:`linear_probe_result`.
        shots: The K values. Defaults to the dataset's ``fewshot_shots``.
        n_way / n_query / n_episodes: Classes per episode, queries per class, episodes (the paper: 5, 15, 600).
        transform: Named evaluation transform
            (:data:`~mmssl_transfer.datasets.classification.pipelines.EVAL_TRANSFORMS`). Defaults to the paper's
            ``'paper_fewshot'``; ``'linear_eval'`` (the linear probe's) is a variant.
        image_size: Side of the images the backbone sees (the paper: 224; toy tests: 32).
        stage: ResNet stage whose pooled output is the feature. Defaults to 4 (the paper's).
        seed: Seeds the episodes and, when ``checkpoint`` is None, the random initialisation (as the linear
            probe does: one seed, one random network). A checkpoint's features do not depend on it, so every
            seed of a checkpoint reads the same cached features.
        dataset_options: Dataset arguments over the catalog's defaults (recorded in each result).
        pretraining_data: As in :func:`linear_probe_result`.
        feature: A ViT checkpoint's feature, as in :func:`linear_probe_result` (``'cls_bn'`` is the linear
            probe's only).
    """
    entry = get_cls_dataset(dataset)
    shots = tuple(shots) if shots is not None else entry.fewshot_shots
    spec = ExtractionSpec.from_transform(get_eval_transform(transform, image_size), stage=stage)
    identity = identify(checkpoint, method, memo=identity_memo(cache_dir))
    common = dict(cache_dir=cache_dir, checkpoint=identity, dataset_name=dataset, data_root=data_root,
                  method=method, base_channels=base_channels, spec=spec, batch_size=batch_size,
                  num_workers=num_workers, device=device, seed=seed, dataset_kwargs=dataset_options,
                  feature=feature)
    definition = feature_definition(vit_row(identity), feature)
    if definition == CLS_BN:
        raise ProbeInputError("feature 'cls_bn' (MAE's linear-probe BatchNorm) is the linear probe's; use 'cls'")
    parts = [_features(s, **common) for s in entry.fewshot_pool]
    features = torch.cat([p.features for p in parts])
    labels = torch.cat([p.labels for p in parts])
    pool_classes = int(len(torch.unique(labels)))
    settings = dict(transform=transform, image_size=image_size, stage=stage, n_way=n_way, n_query=n_query,
                    n_episodes=n_episodes)
    results, skipped = [], {}
    logger = MMLogger.get_current_instance()
    for k in shots:
        if k not in entry.fewshot_shots:
            skipped[k] = f'{k}-shot is not part of the protocol for {dataset} (shots {entry.fewshot_shots})'
            logger.warning(f'few-shot {dataset}: {skipped[k]}')
            continue
        try:
            out = run_fewshot(features, labels, n_way, k, n_query, n_episodes, seed, device)
        except FewShotSkip as exc:
            skipped[k] = str(exc)
            logger.warning(f'few-shot {dataset}: skipped: {exc}')
            continue
        found = dataset_deviations(entry, dataset_options)
        found += [] if definition in DEFAULT_FEATURES.values() else [f'feature={definition}']
        if out['eligible_classes'] < pool_classes:  # the paper's loader needs K + Q images in every class
            found.append(f'eligible_classes={out["eligible_classes"]}/{pool_classes}')
            logger.warning(f'few-shot {dataset} {k}-shot: only {out["eligible_classes"]} of {pool_classes} classes '
                           f'have {k + n_query} images; episodes draw from those (the paper\'s code would fail)')
        results.append(make_record(
            'fewshot', identity, dataset=dataset, protocol=f'{n_way}way-{k}shot',
            metrics={'accuracy': out['accuracy']}, primary_metric='accuracy', ci={'accuracy': out['ci95']},
            settings=settings, departures=found,
            hparams={'n_way': n_way, 'n_shot': k, 'n_query': n_query, 'episodes': n_episodes, 'seed': seed,
                     'distance': 'squared_euclidean', 'transform': transform, 'image_size': image_size,
                     'stage': stage},
            extra={'pool': list(entry.fewshot_pool), 'pool_size': int(len(labels)), 'pool_classes': pool_classes,
                   'eligible_classes': out['eligible_classes'], 'transform': asdict(spec),
                   'paper_episode_seed': 0 if entry.many_shot else None, 'checkpoint': str(identity.argument),
                   'feature': definition,
                   'dataset_options': entry.dataset_kwargs(**(dataset_options or {}))},
            config='tools/fewshot.py', pretraining_data=pretraining_data))
    return results, skipped


def write_results(results: Sequence[TransferResult], out_dir: str | os.PathLike) -> list[Path]:
    """Write each result to ``out_dir/<result_filename>``; return the paths."""
    return [write_result(Path(out_dir) / result_filename(r), r) for r in results]
