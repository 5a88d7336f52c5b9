"""What an effective run changed from the paper's protocol: the source of ``paper_protocol`` and the variant label.

A det/seg/normals run is the paper's protocol only when the config it actually runs (experiment config, named
variants, ``--cfg-options``, tool flags such as ``--amp``) equals the config the paper's protocol produces for its
task family with the same named variants. :func:`protocol_changes` diffs the two mmengine Configs leaf by leaf
over the keys that decide a result (model, data loaders but validation, schedule, optimizer, test-time
augmentation, total batch) and ignores what only says where things are or how they are logged (``data_root``,
``work_dir``, the backbone checkpoint path, workers, logging, seeds, validation); :func:`variant_label` turns
the differences into one variant component, ``cfg:train_cfg.max_iters=4,model.backbone.base_channels=8``, which
the run's ``transfer_task.variant`` carries beside the named variants. The backbone's input normalisation is not
diffed here: :mod:`.input_normalization` checks it against the method (an error, not a variant).

The reference is the task family's base config (``configs/_base_/det/...``) with the zoo backbone file of the
run's method, as ``tools/generate_configs.py`` writes the per-method experiment configs; a config of an unknown
family is compared with itself as written (so ``--cfg-options`` still count). A ViT backbone's reference is the
family's ViT base (:class:`~mmssl_transfer.tasks.ViTBase`), and its runs always carry that base's named variant
(:func:`vit_variant`): the paper's dense settings are ResNet-50's, so no ViT run of a dense task is its protocol.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from mmengine.config import Config

from ..project_files import configs_dir
from ..results import CHANGES_PREFIX, parse_changes, split_variant, variant_label  # noqa: F401 (re-exported)
from ..tasks import TASKS, TrainTest, ViTBase, vit_base_of
from .variants import load_with_variants

#: Top-level config keys whose values decide a result; everything else is bookkeeping.
PROTOCOL_KEYS = ('model', 'train_dataloader', 'test_dataloader', 'test_evaluator', 'train_cfg', 'test_cfg',
                 'optim_wrapper', 'param_scheduler', 'auto_scale_lr', 'test_time_aug', 'tta_model', 'tta_pipeline',
                 'transfer_task', 'default_scope')
#: Key names ignored wherever they occur: paths, worker and logging settings, the record's own labels.
IGNORED_NAMES = frozenset({'data_root', 'num_workers', 'persistent_workers', 'pin_memory', 'prefetch_factor',
                           'backend_args', 'nproc', 'val_interval', 'val_begin', 'variant', 'checkpoint', 'method'})
#: Dotted keys ignored: the input normalisation (checked against the method instead, not a variant).
IGNORED_KEYS = frozenset({'model.data_preprocessor.mean', 'model.data_preprocessor.std'})


def paper_bases() -> dict[tuple[str, str], tuple[str, bool]]:
    """(task, protocol) -> (the family base relative to configs/, whether the per-method config feeds each method
    its own input normalisation), from the train/test rows of :data:`~mmssl_transfer.tasks.TASKS` (as
    ``tools/generate_configs.py`` writes the per-method experiment configs; depth's reference is its default,
    ``normals-protocol``)."""
    return {(name, protocol): (base, spec.runner.method_input)
            for name, spec in TASKS.items() if isinstance(spec.runner, TrainTest)
            for protocol, base in spec.runner.bases.items()}


#: The stand-in backbone file when the run's method is not a zoo name (its method/checkpoint are ignored).
_STAND_IN_METHOD = 'supervised'
#: Backbone types that are ViTs (their runs are compared with the family's ViT base).
VIT_BACKBONE_TYPES = frozenset({'SSLViT', 'SSLViTDet'})
#: The stand-in ViT row when a ViT backbone names no zoo row (``method='auto'``).
_STAND_IN_VIT = 'dino_vitb16'


def vit_row(cfg: Config, method: str | None = None) -> str | None:
    """The ViT zoo row ``cfg``'s backbone is (``method`` when given; a stand-in for a ViT of no zoo row), or
    None when the backbone is no ViT."""
    from ..checkpoints import VIT_ZOO
    backbone = cfg.get('model', {}).get('backbone', {}) or {}
    method = method or backbone.get('method')
    if method in VIT_ZOO:
        return method
    return _STAND_IN_VIT if backbone.get('type') in VIT_BACKBONE_TYPES else None


def vit_base(cfg: Config) -> ViTBase | None:
    """The ViT base of ``cfg``'s task family when its backbone is a ViT (None: a ResNet, or no ViT base)."""
    task = cfg.get('transfer_task') or {}
    if vit_row(cfg) is None:
        return None
    return vit_base_of(str(task.get('task')), str(task.get('protocol')))


def vit_variant(cfg: Config) -> str | None:
    """The named variant every ViT run of ``cfg``'s family records (None for a ResNet run)."""
    base = vit_base(cfg)
    return None if base is None else base.variant


_REFERENCE_TEMPLATE = '''\
_base_ = [{base!r}, {backbone!r}]
model = dict(backbone={{{{_base_.ssl_backbone}}}}{preprocessor}{arch})
'''


def paper_reference(cfg: Config, variants: Sequence[str] = (), method: str | None = None) -> Config:
    """The config the paper's protocol of ``cfg``'s task family produces with ``variants`` and no overrides.

    Args:
        cfg: The effective config (its ``transfer_task`` names the family).
        variants: The named variants the run applied, in order.
        method: A zoo method whose backbone file (and, in detection, input normalisation) to use; defaults
            to ``cfg``'s ``model.backbone.method`` when that is a zoo name.
    """
    from ..checkpoints import ZOO
    task = cfg.get('transfer_task') or {}
    found = paper_bases().get((str(task.get('task')), str(task.get('protocol'))))
    if found is None:  # not one of the task table's families: the file as written is the reference
        return load_with_variants(cfg.filename, variants)
    base, per_method_input = found
    vit = vit_base(cfg)
    method = method or (cfg.get('model', {}).get('backbone', {}) or {}).get('method')
    arch = ''
    if vit is not None:  # the ViT base of the family for the row's patch (strides follow it), its width keys
        from ..checkpoints import VIT_ZOO
        method = vit_row(cfg, method if method in VIT_ZOO else None)
        row = VIT_ZOO[method].vit
        base = vit.base_for(row.patch_size)
        arch = ', ' + vit.model_text(row) if vit.arch_keys else ''
    else:
        method = method if method in ZOO else _STAND_IN_METHOD
    configs = configs_dir()
    text = _REFERENCE_TEMPLATE.format(
        base=str(configs / base), backbone=str(configs / '_base_' / 'backbones' / f'{method}.py'),
        preprocessor=', data_preprocessor={{_base_.ssl_preprocessor}}' if per_method_input else '', arch=arch)
    with tempfile.TemporaryDirectory(prefix='mmssl_paper_') as folder:
        path = Path(folder) / f'paper_{task.get("task")}_{task.get("protocol")}.py'
        path.write_text(text, encoding='utf-8')
        return load_with_variants(path, variants)


def protocol_changes(cfg: Config, reference: Config) -> dict[str, Any]:
    """Dotted key -> value of ``cfg`` for every result-deciding leaf that differs from ``reference``.

    A key ``reference`` has and ``cfg`` lacks maps to ``'<removed>'``.
    """
    ours = dict(_leaves(cfg.to_dict()))
    paper = dict(_leaves(reference.to_dict()))
    changes: dict[str, Any] = {}
    for key in sorted(set(ours) | set(paper)):
        if _ignored(key):
            continue
        if key not in ours:
            changes[key] = '<removed>'
        elif key not in paper or ours[key] != paper[key]:
            changes[key] = ours[key]
    return changes


def _ignored(key: str) -> bool:
    parts = key.split('.')
    if parts[0] not in PROTOCOL_KEYS or key in IGNORED_KEYS:
        return True
    if parts[0] == 'transfer_task':
        return parts[1:] != ['total_batch_size']
    return any(p in IGNORED_NAMES for p in parts)


def _leaves(node: Any, prefix: str = '') -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of every leaf; lists indexed like ``--cfg-options`` (``pipeline.2.scales``)."""
    if isinstance(node, Mapping):
        if not node and prefix:
            yield prefix, {}
        for key, value in node.items():
            yield from _leaves(value, f'{prefix}.{key}' if prefix else str(key))
    elif isinstance(node, (list, tuple)) and any(isinstance(v, (Mapping, list, tuple)) and _has_dict(v)
                                                 for v in node):
        for i, value in enumerate(node):
            yield from _leaves(value, f'{prefix}.{i}')
    else:
        yield prefix, _plain(node)


def _has_dict(node: Any) -> bool:
    if isinstance(node, Mapping):
        return True
    return isinstance(node, (list, tuple)) and any(_has_dict(v) for v in node)


def _plain(value: Any) -> Any:
    """Tuples as lists (``--cfg-options`` and config files spell sequences either way)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
