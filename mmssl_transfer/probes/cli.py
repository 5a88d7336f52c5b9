"""Flags shared by the probe tools (tools/extract_features.py, linear_probe.py, fewshot.py) and their run set-up.

The tools end with :func:`mmssl_transfer.errors.run_tool`: bad input (missing checkpoint or dataset, malformed
annotations, unusable flag) prints the error (first line ``<tool>: error: ``, then the expected layout) and
exits 2; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from mmengine.logging import MMLogger

from mmssl_transfer.datasets.classification import CLS_DATASETS
from mmssl_transfer.distributed import LAUNCHERS, init_distributed

from .features import ExtractionSpec


def add_backbone_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument('--checkpoint', help='backbone checkpoint file (any zoo format)')
    group.add_argument('--from-scratch', action='store_true', help='random initialisation (seeded) instead')
    parser.add_argument('--method', default='auto', help="zoo method of the checkpoint (default: 'auto' = detect)")
    parser.add_argument('--base-channels', type=int, default=64, help='backbone width (64 = ResNet-50)')


def add_feature_args(parser: argparse.ArgumentParser) -> None:
    """Backbone, dataset, transform, cache and device flags of the feature-based probes."""
    add_backbone_args(parser)
    parser.add_argument('--dataset', required=True, choices=sorted(CLS_DATASETS), help='dataset name')
    parser.add_argument('--data-root', help="dataset folder (default: the table's data/... location)")
    parser.add_argument('--cache-dir', default='work_dirs/feature_cache', help='feature cache folder')
    parser.add_argument('--image-size', type=int, default=224,
                        help='resize shorter side and centre crop to this (default 224; tests use 32)')
    parser.add_argument('--stage', type=int, default=4, choices=[1, 2, 3, 4], help='pooled ResNet stage')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--workers', type=int, default=2, help='data loading workers')
    parser.add_argument('--device', help='cuda / cpu (default: cuda when available)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seeds the random initialisation of --from-scratch and the few-shot episodes')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none',
                        help='distributed launcher: each process extracts a share of the images; the result is '
                        'the same as with one process, written by rank 0')
    parser.add_argument('--work-dir', help='folder for the run log (probe.log); the cache stays in --cache-dir')


def spec_from_args(args: argparse.Namespace) -> ExtractionSpec:
    return ExtractionSpec(resize=args.image_size, crop=args.image_size, stage=args.stage)


def init_run(launcher: str, work_dir: str | None = None, name: str = 'probe') -> None:
    """Start the distributed launcher (if any) and the mmengine logger (to ``<work_dir>/probe.log``)."""
    init_distributed(launcher)
    log_file = None
    if work_dir is not None:
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        log_file = str(Path(work_dir) / 'probe.log')
    MMLogger.get_instance(f'{name}-{time.time_ns()}', logger_name=name, log_file=log_file)
