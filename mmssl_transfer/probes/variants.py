"""Name how a run departs from the paper's protocol: the ``variant`` string every probe records.

A probe lists its settings and the paper's values for them (a table per protocol, each value citing the paper's
code); every setting that differs becomes ``key=value``, and the variant is those joined by ``+``, or ``'paper'``
when none differs. The result record stores it in ``hparams['variant']`` beside ``paper_protocol`` (True only for
``'paper'``), and the summary labels a variant's rows with it.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from mmssl_transfer.tasks import PAPER_VARIANT


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ','.join(_text(v) for v in value)
    if isinstance(value, float):
        return f'{value:g}'
    return str(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def deviations(settings: Mapping[str, Any], paper: Mapping[str, Any]) -> list[str]:
    """``key=value`` for each key of ``paper`` whose value in ``settings`` differs, in ``paper``'s order."""
    return [f'{key}={_text(settings[key])}' for key, value in paper.items() if not _same(settings[key], value)]


def variant_name(found: Sequence[str]) -> str:
    """The variant of a run with these deviations: ``'paper'`` when there are none."""
    return '+'.join(found) or PAPER_VARIANT
