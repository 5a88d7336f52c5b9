"""Named protocol variants: config fragments applied on top of an experiment config.

Every det/seg/normals experiment config runs the paper's protocol (``transfer_task.variant='paper'``). A variant
is a file ``configs/variants/<task>/<name>.py`` written as a child of whichever experiment config it is applied
to: it has no ``_base_`` line of its own; :func:`load_with_variants` makes the experiment config its base, so the
fragment overrides keys the usual mmengine way (``_delete_`` included) and may read the experiment's values as
``_base_.model`` or ``{{_base_.ssl_preprocessor}}``. Several variants apply in the order given, each on top of
the previous. Each fragment states ``transfer_task = dict(variant='<its name>', ...)``; the loaded config's
``transfer_task.variant`` is the names joined with ``+``, and the result record carries it, so a run with a
variant is never mistaken for the paper's protocol.

    python tools/train.py configs/det/byol_frozen_voc.py --variant bs16-linear-scaling
    python tools/test.py configs/seg/byol_upernet_ade20k.py CKPT --variant single-scale
"""
from __future__ import annotations

import ast
import tempfile
from pathlib import Path
from typing import Sequence

from mmengine.config import Config

from ..project_files import variant_configs
from .errors import LaunchError

#: ``transfer_task.variant`` of the paper's own protocol.
PAPER = 'paper'


def variant_file(task: str, name: str, config: str = '') -> Path:
    """The file of variant ``name`` of ``task``; a :class:`LaunchError` listing the known ones otherwise."""
    known = variant_configs(task)
    if name not in known:
        listed = ', '.join(known) or 'none'
        raise LaunchError(f'{config + ": " if config else ""}unknown {task} variant {name!r} (known: {listed})')
    return known[name]


def load_with_variants(config: str | Path, variants: Sequence[str]) -> Config:
    """``config`` with each variant fragment applied in order; ``transfer_task.variant`` names them all."""
    config = str(config)
    cfg = Config.fromfile(config)
    if not variants:
        return cfg
    task = (cfg.get('transfer_task') or {}).get('task')
    if task is None:
        raise LaunchError(f'{config}: --variant needs a config with transfer_task=dict(task=...)')
    with tempfile.TemporaryDirectory(prefix='mmssl_variant_') as folder:
        base = str(Path(config).resolve())
        for i, name in enumerate(variants):
            fragment = variant_file(task, name, config)
            text = fragment.read_text(encoding='utf-8')
            if _assigns_base(text):
                raise LaunchError(f'{fragment}: a variant file must not set _base_ (the experiment config is its '
                                  'base)')
            step = Path(folder) / f'variant_{i}_{name.replace("-", "_")}.py'
            step.write_text(f'_base_ = [{base!r}]\n{text}', encoding='utf-8')
            base = str(step)
        merged = Config.fromfile(base)
    merged.transfer_task['variant'] = '+'.join(variants)
    texts = [Path(config).read_text(encoding='utf-8')] + [variant_file(task, n).read_text(encoding='utf-8')
                                                          for n in variants]
    return Config(merged.to_dict(), cfg_text='\n'.join(texts), filename=config)


def _assigns_base(text: str) -> bool:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False  # mmengine reports the syntax error with the file name
    return any(isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == '_base_'
                                                    for t in node.targets) for node in tree.body)


def result_variant(test_variant: str | None, train_variant: str | None) -> str | None:
    """The variant a test result reports: the non-paper variants of training and testing, joined with ``+``.

    A checkpoint trained with a variant stays that variant when tested with the paper's test, and the paper's
    training tested with a test-time variant is that variant. The ``cfg:`` components (config keys a run changed
    from the paper's protocol, :mod:`.protocol_diff`) of both are merged key by key (the test run's value wins).
    None when the test config states no variant.
    """
    from .protocol_diff import split_variant, variant_label
    if test_variant is None:
        return None
    names: list[str] = []
    changes: dict[str, str] = {}
    for variant in (train_variant, test_variant):
        more, changed = split_variant(variant or '')
        names += [n for n in more if n not in names]
        changes.update(changed)
    return variant_label(names, changes)
