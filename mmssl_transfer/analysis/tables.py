"""The paper's tables as data: which results fill which column, and how to turn a result store into them.

Each :class:`TableSpec` mirrors one table of Ericsson et al. (and one CSV of ``paper_reference/``, whose column
labels it reuses so ours and theirs line up). A :class:`Column` selects results by task, dataset and protocol
and reads one metric (the primary metric when ``metric`` is None). Several results for one cell (seeds) are
averaged. Rows are backbones: ``extra['suite']['backbone']`` when a suite wrote the result, else the method; a
result that did not run the paper's protocol gets its own row, labelled with its variant (``byol [converged]``),
or ``[protocol unknown]`` when its record does not say (``paper_protocol`` None: records written before the field
existed), so a variant is never averaged with, or mistaken for, a paper-protocol run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from mmssl_transfer.datasets.catalog import (CDFSL_DATASETS, CLS_DATASETS, EXTRA_DATASETS, MANY_SHOT_DATASETS,
                                             MANY_SHOT_FEWSHOT_DATASETS)
from mmssl_transfer.results import TransferResult

PERCENT, FRACTION, UNBOUNDED = 'percent', 'fraction', 'unbounded'


@dataclass(frozen=True)
class Column:
    """One column: results with this task/dataset/protocol, one metric, its scale and direction.

    ``dataset=None`` averages the metric over every dataset of the task (the calibration columns).
    ``factor`` converts our number into the unit the table shows (one unit per metric family: percent for
    accuracies, AP, mIoU; the published fractions are scaled on loading, paper_reference.REFERENCE_UNITS).
    """

    label: str
    task: str
    dataset: str | None
    protocol: str | None = None
    metric: str | None = None
    scale: str = PERCENT
    lower_is_better: bool = False
    factor: float = 1.0


@dataclass(frozen=True)
class TableSpec:
    """One table: its columns, whether it has an average column, its reference CSV and its task group."""

    name: str
    title: str
    columns: tuple[Column, ...]
    group: str
    average: str | None = None
    reference: str | None = None
    ci: bool = False


_CSV_NAMES = {'aircraft': 'Aircraft', 'caltech101': 'Caltech101', 'cars': 'Cars', 'cifar10': 'CIFAR10',
              'cifar100': 'CIFAR100', 'dtd': 'DTD', 'flowers': 'Flowers', 'food': 'Food', 'pets': 'Pets',
              'sun397': 'SUN397', 'voc2007': 'VOC2007'}
_CDFSL_NAMES = {'cropdiseases': 'CropD', 'eurosat': 'EuroSAT', 'isic2018': 'ISIC', 'chestx': 'ChestX'}
#: Dataset columns of the tables, in catalog order: many-shot, few-shot on many-shot datasets, CD-FSL.
FEW_SHOT = MANY_SHOT_FEWSHOT_DATASETS
_FIFTY_SHOT = tuple(d for d in FEW_SHOT if 50 in CLS_DATASETS[d].fewshot_shots)


def _fewshot(shots: int, datasets: Iterable[str]) -> TableSpec:
    return TableSpec(
        name=f'fewshot_5way{shots}shot', title=f'Few-shot: 5-way {shots}-shot accuracy (%)', group='few-shot',
        columns=tuple(Column(_CSV_NAMES[d], 'fewshot', d, f'5way-{shots}shot') for d in datasets),
        reference=f'fewshot_5way{shots}shot.csv', ci=True)


TABLES: tuple[TableSpec, ...] = (
    TableSpec(name='linear_manyshot', title='Many-shot linear evaluation (%)', group='many-shot linear',
              columns=tuple(Column(_CSV_NAMES[d], 'linear', d) for d in MANY_SHOT_DATASETS), average='Avg',
              reference='linear_manyshot.csv'),
    TableSpec(name='finetune_manyshot', title='Many-shot finetuning (%)', group='many-shot finetune',
              columns=tuple(Column(_CSV_NAMES[d], 'finetune', d) for d in MANY_SHOT_DATASETS), average='Avg',
              reference='finetune_manyshot.csv'),
    _fewshot(5, MANY_SHOT_FEWSHOT_DATASETS),
    _fewshot(20, MANY_SHOT_FEWSHOT_DATASETS),
    _fewshot(50, _FIFTY_SHOT),
    TableSpec(name='fewshot_cdfsl', title='Cross-domain few-shot (CD-FSL): 5-way accuracy (%)', group='cd-fsl',
              columns=tuple(Column(f'{_CDFSL_NAMES[d]} {k}', 'fewshot', d, f'5way-{k}shot')
                            for d in CDFSL_DATASETS for k in (5, 20, 50)), reference='fewshot_cdfsl.csv', ci=True),
    TableSpec(name='detection_voc', title='Detection on VOC07 test (Faster R-CNN FPN)', group='detection',
              columns=tuple(Column(f'{p.capitalize()} {m}', 'det', 'voc0712', p, m)
                            for p in ('frozen', 'finetune') for m in ('AP', 'AP50', 'AP75')),
              reference='detection_voc.csv'),
    TableSpec(name='dense', title='Dense prediction: NYUv2 surface normals and ADE20K segmentation',
              group='dense', reference='dense.csv', columns=(
                  Column('SN Mean↓', 'normals', 'nyuv2', metric='mean', scale=UNBOUNDED, lower_is_better=True),
                  Column('SN Median↓', 'normals', 'nyuv2', metric='median', scale=UNBOUNDED,
                         lower_is_better=True),
                  Column('<11.25°↑', 'normals', 'nyuv2', metric='within_11.25'),
                  Column('<22.5°↑', 'normals', 'nyuv2', metric='within_22.5'),
                  Column('<30°↑', 'normals', 'nyuv2', metric='within_30'),
                  Column('ADE mIoU↑', 'seg', 'ade20k', metric='mIoU'),  # percent, as pixel accuracy
                  Column('ADE pixel acc↑', 'seg', 'ade20k', metric='aAcc'))),
    TableSpec(name='calibration', title='Calibration: mean ECE (%) over datasets, before/after temperature scaling',
              group='calibration', reference='feature_properties.csv', columns=(
                  Column('Lin unscaled', 'linear', None, metric='ece', lower_is_better=True),
                  Column('Lin scaled', 'linear', None, metric='ece_temperature_scaled', lower_is_better=True),
                  Column('FT unscaled', 'finetune', None, metric='ece', lower_is_better=True),
                  Column('FT scaled', 'finetune', None, metric='ece_temperature_scaled', lower_is_better=True))),
    TableSpec(name='feature_properties', group='feature properties', reference='feature_properties.csv',
              title='Feature properties: LPIPS and colour MSE (0-255) of DIP reconstructions, attentive diffusion (%)',
              columns=(
                  *(Column(f'LPIPS {n}', 'feature_properties', None, metric=f'lpips_{n.lower()}', scale=FRACTION,
                           lower_is_better=True) for n in ('Alex', 'VGG', 'Squeeze')),
                  *(Column(f'Err {c}', 'feature_properties', None, metric=f'err_{c.lower()}', scale=UNBOUNDED,
                           lower_is_better=True) for c in 'RGB'),
                  Column('Attn diffusion', 'feature_properties', None, metric='attentive_diffusion'))),
)


#: The variant label of a record that does not say whether it followed the paper's protocol.
UNKNOWN_PROTOCOL = 'protocol unknown'


def protocol_variant(result: TransferResult) -> str | None:
    """None for a run of the paper's protocol; else its variant name (``hparams`` or ``extra`` ``'variant'``,
    ``'variant'`` when the record names none), or :data:`UNKNOWN_PROTOCOL` when ``paper_protocol`` is None."""
    if result.paper_protocol is True:
        return None
    if result.paper_protocol is None:
        return UNKNOWN_PROTOCOL
    for source in (result.hparams, result.extra):
        name = source.get('variant') if isinstance(source, dict) else None
        if isinstance(name, str) and name and name != 'paper':
            return name
    return 'variant'


def pretraining_note(method: str, stated: str | None = None) -> str:
    """``' (LVD-142M)'`` for a backbone not pre-trained on ImageNet-1k (DINOv2), by the record's ``stated``
    pretraining data else its zoo row's; ``''`` for ImageNet-1k or unknown data."""
    from mmssl_transfer.checkpoints import UNKNOWN_PRETRAINING_DATA, pretraining_data_of
    data = pretraining_data_of(method, stated) if method or stated else UNKNOWN_PRETRAINING_DATA
    return '' if data in ('imagenet-1k', UNKNOWN_PRETRAINING_DATA) else f' ({data.upper()})'


def row_label(result: TransferResult) -> str:
    """The row of a result: its backbone (the suite's backbone name, else the method), marked with its
    pretraining data when that is not ImageNet-1k (DINOv2: LVD-142M), with ``[variant]`` added unless it ran the
    paper's protocol."""
    suite = result.extra.get('suite') if isinstance(result.extra, dict) else None
    backbone = str(suite.get('backbone')) if isinstance(suite, dict) and suite.get('backbone') else result.method
    backbone += pretraining_note(result.method, result.pretraining_data)
    variant = protocol_variant(result)
    return backbone if variant is None else f'{backbone} [{variant}]'


def row_variants(results: Iterable[TransferResult]) -> dict[str, str | None]:
    """Row label -> its variant (None: the paper's protocol)."""
    return {row_label(r): protocol_variant(r) for r in results}


def row_methods(results: Iterable[TransferResult]) -> dict[str, str]:
    """Row label -> zoo method (for ImageNet top-1 and the paper's rows)."""
    return {row_label(r): r.method for r in results}


def label_budget(result: TransferResult) -> float | None:
    """Labels per class of a label-efficiency run (``--labels-per-class``), None for a full-data run."""
    suite = result.extra.get('suite') or {}
    for source in (suite.get('variant') or {}, result.hparams, result.extra):
        value = source.get('labels_per_class') if isinstance(source, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return float(value)
    return None


def _matches(result: TransferResult, column: Column) -> bool:
    """The paper's tables hold full-data runs only; label-budget runs feed the utility analysis. A column over
    every dataset (``dataset=None``) averages the paper's datasets only (CLEVR count is beyond them)."""
    return (result.task == column.task and (result.dataset == column.dataset if column.dataset is not None
                                            else result.dataset not in EXTRA_DATASETS)
            and (column.protocol is None or result.protocol == column.protocol) and label_budget(result) is None)


def _value(result: TransferResult, column: Column) -> tuple[float, float] | None:
    metric = column.metric or result.primary_metric
    if metric in result.metrics:
        value = result.metrics[metric]
    elif isinstance(result.extra.get(metric), (int, float)):
        value = float(result.extra[metric])  # e.g. ECE kept in extra by a probe
    else:
        return None
    ci = result.ci.get(metric, np.nan)
    return value * column.factor, ci * column.factor


def build_table(spec: TableSpec, results: list[TransferResult]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Values and 95% CI half-widths (NaN where none) of one table: rows backbones, columns as in ``spec``.

    Empty columns are dropped; the average column is added where a row has every remaining column.
    """
    values: dict[str, dict[str, list[float]]] = {}
    cis: dict[str, dict[str, list[float]]] = {}
    for column in spec.columns:
        for result in results:
            if not _matches(result, column):
                continue
            got = _value(result, column)
            if got is None:
                continue
            row = row_label(result)
            values.setdefault(column.label, {}).setdefault(row, []).append(got[0])
            cis.setdefault(column.label, {}).setdefault(row, []).append(got[1])
    labels = [c.label for c in spec.columns if c.label in values]
    frame = pd.DataFrame({c: {r: float(np.mean(v)) for r, v in values[c].items()} for c in labels},
                         columns=labels, dtype=float)
    ci = pd.DataFrame({c: {r: float(np.mean(v)) for r, v in cis[c].items()} for c in labels},
                      columns=labels, dtype=float).reindex(frame.index)
    if spec.average and len(labels) > 1:
        frame[spec.average] = frame[labels].mean(axis=1, skipna=False)
        ci[spec.average] = np.nan
    return frame, ci


def column_spec(spec: TableSpec, label: str) -> Column | None:
    return next((c for c in spec.columns if c.label == label), None)


def lower_is_better(spec: TableSpec, label: str) -> bool:
    column = column_spec(spec, label)
    return bool(column and column.lower_is_better)


def best_marks(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """``'best'``, ``'second'`` or ``''`` per cell, by column (ties share the mark)."""
    marks = pd.DataFrame('', index=frame.index, columns=frame.columns)
    for label in frame.columns:
        col = frame[label].dropna()
        if len(col) < 2:
            continue
        order = col.sort_values(ascending=lower_is_better(spec, label)).unique()
        marks.loc[col.index[col == order[0]], label] = 'best'
        if len(order) > 1:
            marks.loc[col.index[col == order[1]], label] = 'second'
    return marks


def ranks(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """Rank of each backbone per column (1 = best, ties averaged), without the average column."""
    cols = [c for c in frame.columns if c != spec.average]
    return pd.DataFrame({c: frame[c].rank(ascending=lower_is_better(spec, c), method='average')
                         for c in cols}, index=frame.index)
