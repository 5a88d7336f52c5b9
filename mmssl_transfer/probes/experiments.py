"""One checkpoint x one dataset -> TransferResult, for the linear probe and few-shot protocols.

These glue the pieces together: cached features (:mod:`.features`), the solver / episode code, the dataset
table, and the result record. The tools in ``tools/`` only parse flags and call these.
"""
from __future__ import annotations

import os
import re
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import torch
from mmengine.logging import MMLogger

from mmssl_transfer.datasets.classification import ClsDatasetSpec, get_cls_dataset
from mmssl_transfer.datasets.classification.pipelines import get_eval_transform
from mmssl_transfer.results import TransferResult, write_result

from .errors import ProbeInputError
from .features import ExtractionSpec, FeatureSet, cached_features
from .fewshot import PAPER_FEWSHOT_PROTOCOL, FewShotSkip, run_fewshot
from .linear_probe import LINEAR_PROTOCOLS, run_linear_probe
from .logistic import LINEAR_PROBE_WDS
from .paper_c import paper_selected_c
from .variants import PAPER_VARIANT, deviations, variant_name


def checkpoint_identity(checkpoint: str | os.PathLike | None, method: str = 'auto') -> tuple[str, str]:
    """``(method, sha256)`` of a checkpoint file (format detection when ``method='auto'``); scratch: ('scratch', '')."""
    method_name, sha, _ = _identity(checkpoint, method)
    return method_name, sha


def _identity(checkpoint: str | os.PathLike | None, method: str) -> tuple[str, str, tuple[str, ...]]:
    """Method, sha256 and the methods the file could be: one entry when the method was given, recorded in the
    file, is the only one with its layout, or the file's name picks it (format detection decides, see
    :mod:`mmssl_transfer.checkpoints.formats`); the detected candidates when the method is ``'ambiguous: ...'``."""
    if checkpoint is None:
        return 'scratch', '', ()
    from mmssl_transfer.checkpoints import ambiguous_candidates, convert
    report = convert(checkpoint, method=method).report
    return report.method, report.sha256 or '', ambiguous_candidates(report.method) or (report.method,)


def _paper_c_for(checkpoint: str | None, method_name: str, candidates: tuple[str, ...], dataset: str) -> float:
    """The paper's selected C for the checkpoint's method; unknown or ambiguous methods are an error."""
    where = f'{checkpoint}: ' if checkpoint else ''
    if checkpoint is None:
        raise ProbeInputError('--paper-c needs a checkpoint of one of the paper\'s methods, not --from-scratch')
    if len(candidates) > 1:
        raise ProbeInputError(f'{where}--paper-c needs the method, but the checkpoint layout fits '
                              f'{", ".join(candidates)}; pass --method')
    return paper_selected_c(method_name, dataset)


#: The paper's linear-probe settings, in the order a variant names them (``linear.py``: the sklearn 0.22.2 solver
#: and its path, L69 and L129-176; the 45-point grid, L436; the transform, L274-279; the pooled last stage).
PAPER_LINEAR_PROTOCOL: dict[str, object] = dict(
    protocol='paper', C_mode='sweep', wd_grid='paper', max_iter=LINEAR_PROTOCOLS['paper'].max_iter,
    tol=LINEAR_PROTOCOLS['paper'].tol, transform='linear_eval', image_size=224, stage=4)


def dataset_deviations(entry: ClsDatasetSpec, dataset_options: dict | None) -> list[str]:
    """``key=value`` for each dataset option that differs from the catalog's default (the paper's: e.g.
    ``caltech_split=seeded30``), to join a probe's variant."""
    return deviations(entry.dataset_kwargs(**(dataset_options or {})), entry.dataset_kwargs())


def _linear_eval_spec(size: int, stage: int) -> ExtractionSpec:
    return ExtractionSpec.from_transform(get_eval_transform('linear_eval', size), stage=stage)


def _features(split: str, **kw) -> FeatureSet:
    return cached_features(split=split, **kw)


def linear_probe_result(checkpoint: str | None, dataset: str, cache_dir: str, *, data_root: str | None = None,
                        method: str = 'auto', base_channels: int = 64, spec: ExtractionSpec = ExtractionSpec(),
                        batch_size: int = 64, num_workers: int = 2, device: str | None = None,
                        wds: Sequence[float] = LINEAR_PROBE_WDS, max_iter: int | None = None,
                        tol: float | None = None, seed: int = 0, protocol: str = 'paper', c: float | None = None,
                        paper_c: bool = False, dataset_options: dict | None = None) -> TransferResult:
    """Many-shot linear probe of one checkpoint on one dataset (features from the cache).

    Args:
        checkpoint: Checkpoint file (any zoo format), or None for a random initialisation.
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
    """
    entry = get_cls_dataset(dataset)
    if not entry.many_shot:
        raise ProbeInputError(f'{dataset} is a few-shot-only dataset; the linear probe needs train/val/test')
    if c is not None and paper_c:
        raise ProbeInputError('give either a fixed C or --paper-c, not both')
    method_name, sha, candidates = _identity(checkpoint, method)
    c_mode = 'paper-c' if paper_c else ('fixed' if c is not None else 'sweep')
    if paper_c:
        c = _paper_c_for(checkpoint, method_name, candidates, dataset)
    common = dict(cache_dir=cache_dir, checkpoint=checkpoint, dataset_name=dataset, data_root=data_root,
                  method=method, base_channels=base_channels, spec=spec, batch_size=batch_size,
                  num_workers=num_workers, device=device, seed=seed, dataset_kwargs=dataset_options)
    train, val, test = (_features(s, **common) for s in ('train', 'val', 'test'))
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
    variant = variant_name(deviations(settings, PAPER_LINEAR_PROTOCOL) + dataset_deviations(entry, dataset_options))
    paper = variant == PAPER_VARIANT
    return TransferResult(
        task='linear', dataset=dataset, protocol=protocol, method=method_name, checkpoint_sha256=sha,
        metrics={entry.metric: outcome.test_value,
                 **{k: v for k, v in outcome.calibration.items() if k in ('ece', 'ece_temperature_scaled')}},
        primary_metric=entry.metric, paper_protocol=paper,
        hparams={'C': outcome.best_c, 'wd': outcome.best_wd, 'C_mode': c_mode, 'grid_size': len(wds),
                 'grid_wd_range': [min(wds), max(wds)], 'max_iter': outcome.solver['max_iter'],
                 'tol': outcome.solver['tol'], 'variant': variant},
        extra={'val_curve': outcome.val_curve, 'best_val': outcome.best_val, 'warnings': outcome.warnings,
               'solver': outcome.solver, 'protocol_description': defaults.description,
               'calibration': outcome.calibration, 'transform': asdict(spec),
               'num_train': len(train), 'num_val': len(val), 'num_test': len(test),
               'feature_dim': int(train.features.shape[1]), 'checkpoint': str(checkpoint),
               'dataset_options': entry.dataset_kwargs(**(dataset_options or {}))},
        config='tools/linear_probe.py')


def fewshot_results(checkpoint: str | None, dataset: str, cache_dir: str, *, shots: Sequence[int] | None = None,
                    n_way: int = 5, n_query: int = 15, n_episodes: int = 600, data_root: str | None = None,
                    method: str = 'auto', base_channels: int = 64, transform: str = 'paper_fewshot',
                    image_size: int = 224, stage: int = 4, batch_size: int = 64, num_workers: int = 2,
                    device: str | None = None, seed: int = 0,
                    dataset_options: dict | None = None) -> tuple[list[TransferResult], dict[int, str]]:
    """N-way K-shot results of one checkpoint on one dataset, one per K; and the skipped K with reasons.

    Images are pooled from the dataset's few-shot pool (train + val + test, or everything for CD-FSL).
    K values outside the table's ``fewshot_shots`` (50-shot on Caltech101, Cars, Flowers) are skipped. Each
    result records its ``variant`` (``hparams``): ``'paper'`` when every setting is the paper's
    (:data:`~.fewshot.PAPER_FEWSHOT_PROTOCOL`) and every class of the pool has K + Q images, as the paper's loader
    needs; otherwise the settings that differ (e.g. ``transform=linear_eval``), and ``paper_protocol`` False.
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
    """
    entry = get_cls_dataset(dataset)
    shots = tuple(shots) if shots is not None else entry.fewshot_shots
    spec = ExtractionSpec.from_transform(get_eval_transform(transform, image_size), stage=stage)
    method_name, sha = checkpoint_identity(checkpoint, method)
    common = dict(cache_dir=cache_dir, checkpoint=checkpoint, dataset_name=dataset, data_root=data_root,
                  method=method, base_channels=base_channels, spec=spec, batch_size=batch_size,
                  num_workers=num_workers, device=device, seed=seed, dataset_kwargs=dataset_options)
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
        found = deviations(settings, PAPER_FEWSHOT_PROTOCOL) + dataset_deviations(entry, dataset_options)
        if out['eligible_classes'] < pool_classes:  # the paper's loader needs K + Q images in every class
            found.append(f'eligible_classes={out["eligible_classes"]}/{pool_classes}')
            logger.warning(f'few-shot {dataset} {k}-shot: only {out["eligible_classes"]} of {pool_classes} classes '
                           f'have {k + n_query} images; episodes draw from those (the paper\'s code would fail)')
        variant = variant_name(found)
        results.append(TransferResult(
            task='fewshot', dataset=dataset, protocol=f'{n_way}way-{k}shot', method=method_name,
            checkpoint_sha256=sha, metrics={'accuracy': out['accuracy']}, primary_metric='accuracy',
            ci={'accuracy': out['ci95']}, paper_protocol=variant == PAPER_VARIANT,
            hparams={'n_way': n_way, 'n_shot': k, 'n_query': n_query, 'episodes': n_episodes, 'seed': seed,
                     'distance': 'squared_euclidean', 'transform': transform, 'image_size': image_size,
                     'stage': stage, 'variant': variant},
            extra={'pool': list(entry.fewshot_pool), 'pool_size': int(len(labels)), 'pool_classes': pool_classes,
                   'eligible_classes': out['eligible_classes'], 'transform': asdict(spec),
                   'paper_episode_seed': 0 if entry.many_shot else None, 'checkpoint': str(checkpoint),
                   'dataset_options': entry.dataset_kwargs(**(dataset_options or {}))},
            config='tools/fewshot.py'))
    return results, skipped


def result_filename(result: TransferResult) -> str:
    """``<task>_<dataset>_<protocol>_<method>.json``: one file per result in an output folder, each part a safe
    token (``ambiguous: supervised, dino`` -> ``ambiguous-supervised-dino``: no colon, space or comma)."""
    parts = (result.task, result.dataset, result.protocol, result.method)
    return '_'.join(safe_token(part) for part in parts) + '.json'


def safe_token(text: str) -> str:
    """``text`` with every run of characters other than letters, digits, ``.``, ``+`` and ``-`` made one ``-``."""
    return re.sub(r'[^A-Za-z0-9.+-]+', '-', text).strip('-') or 'none'


def write_results(results: Sequence[TransferResult], out_dir: str | os.PathLike) -> list[Path]:
    """Write each result to ``out_dir/<result_filename>``; return the paths."""
    return [write_result(Path(out_dir) / result_filename(r), r) for r in results]
