"""Flags shared by the probe tools (tools/extract_features.py, linear_probe.py, fewshot.py) and their run set-up.

The tools end with :func:`mmssl_transfer.cli.run_tool`: bad input (missing checkpoint or dataset, malformed
annotations, unusable flag) prints the error (first line ``<tool>: error: ``, then the expected layout) and
exits 2; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from mmengine.logging import MMLogger

from mmssl_transfer.checkpoints import BackboneIdentity, identify
from mmssl_transfer.datasets.classification import CLS_DATASETS
from mmssl_transfer.datasets.classification.pipelines import EVAL_TRANSFORMS, get_eval_transform
from mmssl_transfer.distributed import LAUNCHERS, init_distributed

from .errors import ProbeInputError
from .features import ExtractionSpec, identity_memo


def add_backbone_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument('--checkpoint', help='backbone checkpoint file (any zoo format), URL or zoo method name '
                       '(downloaded into the checkpoint cache)')
    group.add_argument('--from-scratch', action='store_true', help='random initialisation (seeded) instead')
    parser.add_argument('--method', default='auto', help="zoo method of the checkpoint (default: 'auto' = detect)")
    parser.add_argument('--base-channels', type=int,
                        help="backbone width (64 = ResNet-50; default: the checkpoint's own, 64 without one)")
    parser.add_argument('--pretraining-data',
                        help='what the backbone was pretrained on, recorded in the result (default: the zoo '
                        'row\'s, imagenet-1k; "unknown" for a backbone outside the zoo)')


def resolve_base_channels(args: argparse.Namespace, identity: BackboneIdentity) -> int:
    """Set ``args.base_channels`` when not given: the width the converter reads from the checkpoint's stem
    (64 for ``--from-scratch``), so a width-8 toy checkpoint needs no flag."""
    if args.base_channels is None:
        args.base_channels = 64 if identity.is_scratch else identity.conversion.report.base_channels
    return args.base_channels


def add_feature_args(parser: argparse.ArgumentParser) -> None:
    """Backbone, dataset, transform, cache and device flags of the feature-based probes."""
    add_backbone_args(parser)
    parser.add_argument('--dataset', required=True, choices=sorted(CLS_DATASETS), help='dataset name')
    parser.add_argument('--data-root', help="dataset folder (default: the table's data/... location)")
    parser.add_argument('--cache-dir', default='work_dirs/feature_cache', help='feature cache folder')
    parser.add_argument('--image-size', type=int, default=224,
                        help='side of the centre crop the backbone sees (default 224; tests use 32); the transform '
                             'resizes to it (linear_eval: shorter side) or to int(1.15 x) square (paper_fewshot)')
    parser.add_argument('--stage', type=int, default=4, choices=[1, 2, 3, 4], help='pooled ResNet stage')
    parser.add_argument('--feature', default='default',
                        help="ViT checkpoints: 'default' (final-norm CLS + mean patch tokens, benchmark-wide), "
                             "'method' (the method's own linear-eval feature, a named variant), or one of cls, "
                             'patch_mean, cls_patch_mean, last4_cls, last4_cls_patch_mean, cls_bn (linear probe only)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--workers', type=int, default=2, help='data loading workers')
    parser.add_argument('--device', help='cuda / cpu (default: cuda when available)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seeds the random initialisation of --from-scratch and the few-shot episodes')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none',
                        help='distributed launcher: each process extracts a share of the images; the result is '
                        'the same as with one process, written by rank 0')
    parser.add_argument('--work-dir', help='folder for the run log (probe.log); the cache stays in --cache-dir')
    parser.add_argument('--caltech-split', choices=['paper', 'seeded30'],
                        help="caltech101 only: the paper's split files (default) or 30 unique training images per "
                             'class drawn with seed 0 (a variant, recorded in the result)')


def identity_from_args(args: argparse.Namespace) -> BackboneIdentity:
    """The backbone of ``--checkpoint``/``--from-scratch`` and ``--method``, resolved once at the tool's entry
    (hashes and detections remembered beside ``--cache-dir``)."""
    return identify(None if args.from_scratch else args.checkpoint, args.method,
                    memo=identity_memo(args.cache_dir))


def dataset_options_from_args(args: argparse.Namespace) -> dict:
    """Dataset arguments chosen on the command line (recorded in the result; the catalog's defaults otherwise)."""
    if args.caltech_split is None:
        return {}
    if args.dataset != 'caltech101':
        raise ProbeInputError(f'--caltech-split applies to caltech101, not {args.dataset}')
    return {'caltech_split': args.caltech_split}


def add_transform_arg(parser: argparse.ArgumentParser, default: str) -> None:
    """``--transform``: the named evaluation transform of the extraction (the tool's protocol default)."""
    parser.add_argument('--transform', choices=sorted(EVAL_TRANSFORMS), default=default,
                        help=f'evaluation transform of the features (default: {default})')


def spec_from_args(args: argparse.Namespace) -> ExtractionSpec:
    """The extraction of ``--transform`` (``linear_eval`` for tools without the flag) at ``--image-size``."""
    transform = get_eval_transform(getattr(args, 'transform', 'linear_eval'), args.image_size)
    return ExtractionSpec.from_transform(transform, stage=args.stage)


def init_run(launcher: str, work_dir: str | None = None, name: str = 'probe') -> None:
    """Start the distributed launcher (if any) and the mmengine logger (to ``<work_dir>/probe.log``)."""
    init_distributed(launcher)
    log_file = None
    if work_dir is not None:
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        log_file = str(Path(work_dir) / 'probe.log')
    MMLogger.get_instance(f'{name}-{time.time_ns()}', logger_name=name, log_file=log_file)
