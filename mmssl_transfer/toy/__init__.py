"""Tiny datasets and checkpoints in the real on-disk formats, for tests and the demo.

Each module writes one kind of toy data with a function ``make_<kind>(out_dir, seed=0, **options) -> Path``;
:data:`TOY_GENERATORS` is the table that ``tools/make_toy_data.py`` and the demo suite dispatch on.
Toy numbers mean nothing: these exist to exercise every code path on a CPU in seconds.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable

# kind -> "module:function"; the function writes under out_dir/<its own sub-folder> and returns that folder.
TOY_GENERATORS: dict[str, str] = {
    'checkpoints': 'mmssl_transfer.toy.checkpoints:make_toy_checkpoints',
    'vit_checkpoints': 'mmssl_transfer.toy.vit_checkpoints:make_toy_vit_checkpoints',
    'voc': 'mmssl_transfer.toy.voc:make_toy_voc',
    'ade20k': 'mmssl_transfer.toy.ade20k:make_toy_ade20k',
    'nyuv2': 'mmssl_transfer.toy.nyuv2:make_toy_nyuv2',
    'classification': 'mmssl_transfer.toy.classification:make_toy_classification',
}


def get_generator(kind: str) -> Callable[..., Path]:
    """Return the generator function for one kind of toy data."""
    try:
        target = TOY_GENERATORS[kind]
    except KeyError:
        raise KeyError(f'unknown toy data kind {kind!r}; known: {sorted(TOY_GENERATORS)}') from None
    module, func = target.split(':')
    return getattr(importlib.import_module(module), func)


def make_toy(kind: str, out_dir: str | Path, seed: int = 0, **options: Any) -> Path:
    """Write one kind of toy data under ``out_dir`` and return its folder."""
    return get_generator(kind)(Path(out_dir), seed=seed, **options)
