"""The paper's published numbers (``analysis/paper_reference/*.csv``, package data) indexed by zoo method name.

The CSVs are transcriptions of Ericsson et al.'s tables, with the paper's model names ("MoCo-v2") as rows;
:func:`load_reference` maps them to zoo names (``mocov2``) through ``MethodSpec.paper_name`` and splits
"48.67 ± 0.93" into a value and a 95% CI half-width. :func:`compare` lines ours up against theirs: only cells run
with the paper's protocol are diffed; cells of a variant, of a record that does not say, and of columns whose
published numbers cannot be reproduced (:data:`NOT_COMPARABLE`) are listed with the reason instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from .tables import UNKNOWN_PROTOCOL, Column, TableSpec, column_spec

_PLUS_MINUS = re.compile(r'^\s*([-+0-9.eE]+)\s*±\s*([-+0-9.eE]+)\s*$')
NON_ROWS = ('Corr. to ImageNet',)
#: (reference CSV, column) -> factor from the unit the paper prints to the one our tables use (one unit per
#: metric family: the paper prints ADE20K mIoU as a fraction beside pixel accuracy in percent; ours is percent).
REFERENCE_UNITS: dict[tuple[str, str], float] = {('dense.csv', 'ADE mIoU↑'): 100.0}


def reference_csv(name: str) -> pd.DataFrame:
    """A reference CSV as printed (strings), first column as index."""
    with resources.files('mmssl_transfer.analysis').joinpath('paper_reference', name).open(encoding='utf-8') as f:
        return pd.read_csv(f, index_col=0, dtype=str)


def paper_to_zoo() -> dict[str, str]:
    """Paper model name ("MoCo-v2") -> zoo name ("mocov2")."""
    from mmssl_transfer.checkpoints import ZOO
    return {spec.paper_name: name for name, spec in ZOO.items()}


@lru_cache(maxsize=None)
def load_reference(name: str, keep_extra_rows: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Values and CI half-widths of a reference CSV, rows renamed to zoo names.

    Rows such as "Corr. to ImageNet" are dropped unless ``keep_extra_rows``.
    Raises KeyError naming the CSV when a paper model has no zoo entry.
    """
    raw = reference_csv(name)
    mapping = paper_to_zoo()
    rows = [r for r in raw.index if keep_extra_rows or r not in NON_ROWS]
    unknown = [r for r in rows if r not in mapping and r not in NON_ROWS]
    if unknown:
        raise KeyError(f'paper_reference/{name}: models {unknown} have no zoo entry (paper_name)')
    raw = raw.loc[rows]
    values = raw.apply(lambda col: col.map(_number))
    cis = raw.apply(lambda col: col.map(_ci))
    for (csv, column), factor in REFERENCE_UNITS.items():
        if csv == name and column in values.columns:
            values[column] = values[column] * factor
            cis[column] = cis[column] * factor
    index = [mapping.get(r, r) for r in rows]
    values.index = cis.index = index
    return values.astype(float), cis.astype(float)


def _number(text: str) -> float:
    match = _PLUS_MINUS.match(str(text))
    return float(match.group(1)) if match else float(text)


def _ci(text: str) -> float:
    match = _PLUS_MINUS.match(str(text))
    return float(match.group(2)) if match else np.nan


def reference_table(spec: TableSpec) -> pd.DataFrame | None:
    """The published values for ``spec``'s columns (and average), rows zoo names; None without a reference."""
    if spec.reference is None:
        return None
    values, _ = load_reference(spec.reference)
    labels = [c.label for c in spec.columns] + ([spec.average] if spec.average else [])
    return values[[c for c in labels if c in values.columns]]


@dataclass(frozen=True)
class NotComparable:
    """Columns whose published numbers ours should not be diffed against, and why.

    Attributes:
        task / dataset: The columns' task and dataset (``dataset=None``: the columns averaging over datasets).
        metrics: Only these metrics' columns; empty: every metric.
    """

    task: str
    dataset: str | None
    reason: str
    metrics: tuple[str, ...] = ()

    def covers(self, column: Column) -> bool:
        return (column.task == self.task and column.dataset == self.dataset
                and (not self.metrics or column.metric in self.metrics))


ADE20K_REASON = ("the paper's ADE20K encoder (CSAIL's deep-stem ResNet-50, weights loaded "
                 'with strict=False) most '  # strict-ok: describes the paper's load, not one of ours
                 'likely never received the SSL weights: its supervised model scores 0.256 mIoU against ~0.40 for an '
                 'ImageNet UPerNet-R50 whose weights loaded; ours loads the backbone strictly')
FINETUNE_ECE_REASON = ("the paper's released finetune.py computes no calibration: how its published finetune ECE "
                       'was measured is unknown (ours, an addition, scales temperature as its linear probe does)')
#: The columns never diffed against the paper, with the reason the comparison output states.
NOT_COMPARABLE: tuple[NotComparable, ...] = (
    NotComparable('seg', 'ade20k', ADE20K_REASON),
    NotComparable('finetune', None, FINETUNE_ECE_REASON, metrics=('ece', 'ece_temperature_scaled')),
)
#: Comparison statuses: diffed, or why not.
COMPARED, VARIANT, UNKNOWN, NOT_COMPARABLE_STATUS = 'compared', 'variant', UNKNOWN_PROTOCOL, 'not comparable'


def not_comparable_reason(column: Column | None) -> str | None:
    """Why a column is not diffed against the paper, or None when it is."""
    return next((rule.reason for rule in NOT_COMPARABLE if column is not None and rule.covers(column)), None)


def _status(variant: str | None, reason: str | None) -> tuple[str, str]:
    if reason is not None:
        return NOT_COMPARABLE_STATUS, reason
    if variant is None:
        return COMPARED, ''
    if variant == UNKNOWN_PROTOCOL:
        return UNKNOWN, "the record does not say whether it ran the paper's protocol (no paper_protocol: written " \
            'before the field existed, or by a tool that does not record it)'
    return VARIANT, f'run with the variant {variant!r}, not the paper\'s protocol'


def compare(spec: TableSpec, ours: pd.DataFrame, row_methods: dict[str, str],
            row_variants: dict[str, str | None] | None = None) -> pd.DataFrame | None:
    """Ours, theirs and ours - theirs per cell, long format (one row per backbone x column), with a ``status``.

    Only cells whose row ran the paper's protocol (``row_variants[row]`` None) in a comparable column get a
    ``diff``; the others keep ``diff`` NaN, ``status`` says which case (``'variant'``, ``'protocol unknown'``,
    ``'not comparable'``) and ``reason`` why. Rows of ``ours`` are matched to the paper through their zoo method
    (``row_methods``); backbones the paper did not evaluate, and columns it does not print, are left out.
    ``row_variants`` defaults to every row being a paper-protocol run.
    """
    theirs = reference_table(spec)
    if theirs is None or ours.empty:
        return None
    row_variants = row_variants or {}
    records = []
    for row in ours.index:
        method = row_methods.get(row, row)
        if method not in theirs.index:
            continue
        for label in ours.columns:
            if label not in theirs.columns or np.isnan(ours.at[row, label]):
                continue
            status, reason = _status(row_variants.get(row), not_comparable_reason(column_spec(spec, label)))
            paper = theirs.at[method, label]
            diff = ours.at[row, label] - paper if status == COMPARED else np.nan
            records.append({'backbone': row, 'method': method, 'column': label, 'ours': ours.at[row, label],
                            'paper': paper, 'diff': diff, 'status': status, 'reason': reason})
    return pd.DataFrame.from_records(records, columns=['backbone', 'method', 'column', 'ours', 'paper', 'diff',
                                                       'status', 'reason'])
