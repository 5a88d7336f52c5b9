"""Load an experiment config and apply the command-line overrides of tools/train.py and tools/test.py.

The overrides are mmdet's (``--cfg-options``, ``--work-dir``, ``--resume``, ``--amp``, ``--auto-scale-lr``,
``--launcher``) plus two conveniences that map onto plain config keys, so a user points any det/seg/normals
config at their data and backbone checkpoint without editing it:

- ``data_root``: every ``data_root`` key of the train/val/test data loaders (nested datasets included) and
  the top-level ``data_root`` variable;
- ``checkpoint``: ``model.backbone.checkpoint`` (a path or a zoo method name) of the SSL backbone;
- ``method``: ``model.backbone.method``, the zoo method of that checkpoint (``'auto'`` detects it);

and ``variants``: named protocol variants applied on top of the config (:mod:`.variants`).
"""
from __future__ import annotations

import os.path as osp
from typing import Any, Sequence

from mmengine.config import Config, ConfigDict

from ..engine.hooks import BackboneProvenanceHook, BatchSplitHook
from ..results import default_variant, variant_label
from . import input_normalization  # noqa: F401  (registers InputNormalizationHook)
from .errors import LaunchError
from .protocol_diff import paper_reference, protocol_changes, vit_variant
from .variants import load_with_variants

DATALOADER_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
SSL_BACKBONE_TYPES = ('SSLResNet', 'SSLViT', 'SSLViTDet')


def load_config(config: str,
                cfg_options: dict | None = None,
                work_dir: str | None = None,
                data_root: str | None = None,
                checkpoint: str | None = None,
                method: str | None = None,
                launcher: str = 'none',
                amp: bool = False,
                auto_scale_lr: bool = False,
                resume: str | None = None,
                load_from: str | None = None,
                variants: Sequence[str] = ()) -> Config:
    """Read ``config`` and apply the overrides in the order mmdet's tools do.

    Args:
        config: Path of a ``.py`` config.
        cfg_options: ``--cfg-options`` key/value pairs (dotted keys, list indices allowed).
        work_dir: Output folder; defaults to the config's ``work_dir`` or ``./work_dirs/<config name>[_<variant>]``.
        data_root: Dataset root that replaces every ``data_root`` in the data loaders.
        checkpoint: Backbone checkpoint (path or zoo method name) for ``model.backbone.checkpoint``.
        method: Zoo method of the backbone checkpoint for ``model.backbone.method`` (``'auto'``: detect it).
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        amp: Train with automatic mixed precision (``AmpOptimWrapper``, dynamic loss scale).
        auto_scale_lr: Scale the lr by (total batch size / ``auto_scale_lr.base_batch_size``).
        resume: ``'auto'`` (latest checkpoint of the work dir) or a checkpoint path to resume from.
        load_from: A whole-model checkpoint to load (what tools/test.py evaluates).
        variants: Names of protocol variants (``configs/variants/<task>/<name>.py``) applied first, in order.

    Returns:
        The config, ready for :func:`mmssl_transfer.apis.build_runner`.

    Raises:
        FileNotFoundError: ``config`` or ``load_from`` does not exist.
        LaunchError: An override does not fit the config.
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'{config}: config file not found')
    cfg = load_with_variants(config, variants)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if data_root is not None:
        set_data_root(cfg, data_root)
    if checkpoint is not None:
        set_backbone_checkpoint(cfg, checkpoint)
    if method is not None:
        set_backbone_method(cfg, method)

    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        name = osp.splitext(osp.basename(config))[0]
        cfg.work_dir = osp.join('./work_dirs', '_'.join([name, *variants]))

    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise LaunchError(f'{config}: --auto-scale-lr needs auto_scale_lr=dict(base_batch_size=...) '
                              'in the config')
        cfg.auto_scale_lr.enable = True

    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'{resume}: checkpoint to resume from not found')
        cfg.resume = True
        cfg.load_from = resume
    if load_from is not None:
        if not osp.isfile(load_from):
            raise FileNotFoundError(f'{load_from}: model checkpoint not found')
        cfg.load_from = load_from

    record_protocol(cfg, variants)
    add_provenance_hook(cfg)
    add_batch_split_hook(cfg)
    add_hook(cfg, 'InputNormalizationHook')
    return cfg


def add_hook(cfg: Config, name: str) -> None:
    """Append ``dict(type=name)`` to ``cfg.custom_hooks`` unless a hook of that type is there."""
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(h.get('type') == name for h in hooks):
        hooks.append(ConfigDict(type=name))
    cfg.custom_hooks = hooks


def record_protocol(cfg: Config, variants: Sequence[str] = ()) -> None:
    """Set ``transfer_task.variant`` from what the effective config changed from the paper's protocol.

    The named variants plus a ``cfg:key=value,...`` component for every result-deciding key that differs from
    the config the paper's protocol produces with the same variants (:mod:`.protocol_diff`), so a run shortened
    through ``--cfg-options`` is recorded as a variant, never as the paper's protocol. A ViT backbone's run
    always names its family's ViT variant first (e.g. ``vitdet-frozen``). Configs without a ``transfer_task``
    are left alone.
    """
    task = cfg.get('transfer_task')
    if not isinstance(task, dict) or ('variant' not in task and not variants):
        return
    changes = protocol_changes(cfg, paper_reference(cfg, variants))
    vit = vit_variant(cfg)
    names = [vit, *[v for v in variants if v != vit]] if vit else list(variants)
    task['variant'] = variant_label(names, changes, default_variant(str(task.get('task'))))


def set_data_root(cfg: Config, data_root: str) -> int:
    """Replace every ``data_root`` in the data loaders (and the top-level one); return how many were set."""
    count = 0

    def visit(node: Any) -> None:
        nonlocal count
        if isinstance(node, dict):
            if 'data_root' in node:
                node['data_root'] = data_root
                count += 1
            for value in node.values():
                visit(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                visit(value)

    for key in DATALOADER_KEYS:
        visit(cfg.get(key))
    if count == 0:
        raise LaunchError(f'{cfg.filename}: --data-root given but no data loader of this config has a data_root')
    if 'data_root' in cfg:
        cfg.data_root = data_root
    return count


def set_backbone_checkpoint(cfg: Config, checkpoint: str) -> None:
    """Point the SSL backbone at ``checkpoint`` (a file path or a zoo method name)."""
    backbone = cfg.get('model', {}).get('backbone')
    if not isinstance(backbone, dict) or backbone.get('type') not in SSL_BACKBONE_TYPES:
        found = backbone.get('type') if isinstance(backbone, dict) else None
        raise LaunchError(f'{cfg.filename}: --checkpoint needs model.backbone of type '
                          f'{"/".join(SSL_BACKBONE_TYPES)}, found {found!r}')
    backbone['checkpoint'] = checkpoint


def set_backbone_method(cfg: Config, method: str) -> None:
    """Name the SSL backbone's zoo method (``'auto'``: detect it from the checkpoint)."""
    from ..checkpoints import find_method
    spec = find_method(method) if method != 'auto' else None
    if method != 'auto' and spec is None:
        from ..checkpoints import ZOO
        raise LaunchError(f'{cfg.filename}: --method {method!r} is not a zoo method (known: auto, {", ".join(ZOO)})')
    backbone = cfg.get('model', {}).get('backbone')
    if not isinstance(backbone, dict) or backbone.get('type') not in SSL_BACKBONE_TYPES:
        raise LaunchError(f'{cfg.filename}: --method needs model.backbone of type {"/".join(SSL_BACKBONE_TYPES)}')
    backbone['method'] = spec.name if spec is not None else 'auto'


def add_provenance_hook(cfg: Config) -> None:
    """Make sure the run records the backbone's provenance (see :class:`BackboneProvenanceHook`)."""
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(h.get('type') in ('BackboneProvenanceHook', BackboneProvenanceHook) for h in hooks):
        hooks.append(ConfigDict(type='BackboneProvenanceHook'))
    cfg.custom_hooks = hooks


def add_batch_split_hook(cfg: Config) -> None:
    """Make a test run read the training run's batch split from the model checkpoint (see
    :class:`~mmssl_transfer.engine.hooks.BatchSplitHook`); :func:`~mmssl_transfer.apis.train` fills it in."""
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(h.get('type') in ('BatchSplitHook', BatchSplitHook) for h in hooks):
        hooks.append(ConfigDict(type='BatchSplitHook'))
    cfg.custom_hooks = hooks
