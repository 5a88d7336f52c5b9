"""Load results and compute the paper's tables, comparisons, rankings, ImageNet correlations and utility curves.

:func:`load_results` reads a suite's result store (``<out>/results/*.json``), any folder of result JSONs, or
``'paper'`` (the published numbers as results). :func:`summarize` computes everything in a :class:`Summary`.
Showing it is :mod:`.formatting`'s job (terminal, Markdown); writing it, :mod:`.report`'s.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from mmssl_transfer.errors import InputError
from mmssl_transfer.results import (TransferResult, is_store, published_record, read_result, store_failure_files,
                                    store_info_file, store_result_files)

from . import correlation as corr
from .categories import CategoryAnalysis, analyse_categories, by_pretraining_data
from .feature_images import feature_images
from .label_efficiency import UtilityPoint, utility_curve
from .paper_reference import compare as compare_with_paper
from .paper_reference import load_reference
from .published_anchors import anchors_beside
from .tables import (TABLES, TableSpec, best_marks, build_table, label_budget, ranks, row_label, row_methods,
                     row_variants)

#: The source name of the published numbers (``load_results('paper')``, ``compare='paper'``).
PAPER = 'paper'


class SummaryError(InputError):
    """The results to summarise cannot be found or read."""


@dataclass
class TableResult:
    spec: TableSpec
    values: pd.DataFrame
    ci: pd.DataFrame
    marks: pd.DataFrame
    comparison: pd.DataFrame | None = None
    correlations: pd.DataFrame | None = None
    figures: list[Path] = field(default_factory=list)


@dataclass
class Summary:
    source: str
    tables: list[TableResult]
    rankings: pd.DataFrame
    imagenet: pd.Series
    utility: dict[str, dict[str, list[UtilityPoint]]]
    feature_correlations: pd.DataFrame
    toy: bool = False
    failures: list[dict] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    feature_images: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    categories: CategoryAnalysis | None = None  # Kotar et al.'s four task categories
    pretraining: pd.DataFrame = field(default_factory=pd.DataFrame)  # end task x pretraining data
    anchors: pd.DataFrame = field(default_factory=pd.DataFrame)  # ViT dense runs beside published anchors


# -- loading --------------------------------------------------------------------------------------------------
def load_results(source: str | Path) -> list[TransferResult]:
    """Results of a suite output folder, of any folder of result JSONs, of one JSON, or the paper's."""
    if str(source) == PAPER:
        return paper_results()
    path = Path(source)
    if path.is_file():
        return [read_result(path)]
    if not path.is_dir():
        raise SummaryError(f'{path}: no such results folder or file')
    if is_store(path):
        results = [read_result(p) for p in store_result_files(path)]
    else:
        results = []
        for p in sorted(path.rglob('*.json')):
            try:
                data = json.loads(p.read_text(encoding='utf-8'))
            except (json.JSONDecodeError, UnicodeDecodeError, OSError):
                continue
            if isinstance(data, dict) and {'task', 'metrics', 'primary_metric'} <= set(data):
                results.append(read_result(p))
    if not results:
        raise SummaryError(f'{path}: no result JSON found (expected <dir>/results/*.json from run_suite.py, '
                           'or TransferResult JSON files)')
    return results


def load_suite_info(source: str | Path) -> dict:
    """What run_suite.py recorded about the suite of a store (empty for other sources)."""
    path = store_info_file(source)
    if str(source) == PAPER or not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding='utf-8'))
    except json.JSONDecodeError:
        return {}


def load_failures(source: str | Path) -> list[dict]:
    if str(source) == PAPER:
        return []
    out = []
    for p in store_failure_files(source):
        try:
            out.append(json.loads(p.read_text(encoding='utf-8')))
        except json.JSONDecodeError:
            out.append({'cell_id': p.stem, 'error': f'{p}: unreadable failure record'})
    return out


def paper_results() -> list[TransferResult]:
    """The published numbers of every reference table, as results (method = zoo name, source 'paper')."""
    results = []
    for spec in TABLES:
        if spec.reference is None or spec.name == 'calibration':
            continue
        values, cis = load_reference(spec.reference)
        for column in spec.columns:
            if column.label not in values.columns:
                continue
            metric = column.metric or 'accuracy'
            for method in values.index:
                value = values.at[method, column.label]
                if np.isnan(value):
                    continue
                ci = cis.at[method, column.label]
                results.append(published_record(
                    column.task, column.dataset or 'mean', column.protocol or column.task, method,
                    {metric: value / column.factor}, metric, f'paper:{spec.reference}',
                    ci={} if np.isnan(ci) else {metric: ci / column.factor}))
    features, _ = load_reference('feature_properties.csv')
    for method in features.index:
        for task, prefix in (('linear', 'Lin'), ('finetune', 'FT')):
            results.append(published_record(
                task, 'mean', task, method, {'ece': features.at[method, f'{prefix} unscaled'],
                                             'ece_temperature_scaled': features.at[method, f'{prefix} scaled']},
                'ece', 'paper:feature_properties.csv'))
    return results


# -- analysis -------------------------------------------------------------------------------------------------
def summarize(results: list[TransferResult], source: str = '', compare: str | None = None,
              n_boot: int = 2000, failures: Iterable[dict] = (), rank_variants: bool = False) -> Summary:
    """Every table, comparison, ranking, correlation and utility curve the results allow.

    With ``compare='paper'`` each table gets its comparison with the published numbers, in which only the cells of
    paper-protocol runs are diffed (see :func:`.paper_reference.compare`), and runs of the ViT rows on the dense
    tasks are shown beside their published anchors, each with its source and what differs
    (:func:`.published_anchors.anchors_beside`; never in the paper's diff).
    """
    methods = row_methods(results)
    variants = row_variants(results)
    imagenet = corr.imagenet_top1(methods)
    tables = []
    for spec in TABLES:
        values, ci = build_table(spec, results)
        if values.empty:
            continue
        values = values.sort_index(key=lambda idx: idx.map(lambda r: (imagenet.get(r, np.inf), r)))
        ci = ci.reindex(values.index)
        table = TableResult(spec, values, ci, best_marks(spec, values))
        if compare == PAPER:
            table.comparison = compare_with_paper(spec, values, methods, variants)
        table.correlations = _table_correlations(spec, values, imagenet, n_boot)
        tables.append(table)
    categories = analyse_categories(results, n_boot=n_boot) if results else None
    if categories is not None and compare != PAPER:  # Kotar et al.'s findings are the reference of --compare
        categories.reference = pd.DataFrame()
    return Summary(source=source, tables=tables, rankings=_rankings(tables, variants, rank_variants),
                   imagenet=imagenet,
                   utility=utility_from_results(results), feature_correlations=feature_correlation_check(),
                   failures=list(failures), feature_images=feature_images(results), categories=categories,
                   pretraining=by_pretraining_data(results),
                   anchors=anchors_beside(results) if compare == PAPER else pd.DataFrame())


def _table_correlations(spec: TableSpec, values: pd.DataFrame, imagenet: pd.Series,
                        n_boot: int) -> pd.DataFrame | None:
    known = values.index[imagenet.reindex(values.index).notna()]
    cols = [c.label for c in spec.columns if c.label in values.columns]
    if len(known) < 3 or not cols:
        return None
    frame = values.loc[known, cols]
    scales = {c.label: c.scale for c in spec.columns}
    lower = {c.label: c.lower_is_better for c in spec.columns}
    table = corr.correlate_table(frame, imagenet, scales, lower, n_boot=n_boot)
    complete = frame.dropna()
    if len(cols) > 1 and len(complete) >= 3:
        score = corr.group_score(complete, scales, lower)
        x = corr.transform(imagenet.reindex(complete.index).to_numpy(), corr.PERCENT)
        table.loc[f'{spec.group} (group)'] = corr.correlate(x, score.to_numpy(), n_boot=n_boot).as_dict()
    return table


def _rankings(tables: list[TableResult], variants: dict[str, str | None] | None = None,
              rank_variants: bool = False) -> pd.DataFrame:
    """Mean rank per backbone in each table (1 = best) and the average over tables.

    One entry per backbone: in each table its paper-protocol row, else its first row (so a backbone whose
    cells ran variants, e.g. the demo's, is ranked once, not once per variant label). ``rank_variants`` ranks
    every row label instead, each variant an entry of its own.
    """
    per_table = {}
    for t in tables:
        values = t.values if rank_variants else _one_row_per_backbone(t.values, variants or {})
        if len(values) > 1:
            per_table[t.spec.name] = ranks(t.spec, values).mean(axis=1)
    frame = pd.DataFrame(per_table)
    if not frame.empty:
        frame['average rank'] = frame.mean(axis=1)
        frame = frame.sort_values('average rank')
    return frame


def _one_row_per_backbone(values: pd.DataFrame, variants: dict[str, str | None]) -> pd.DataFrame:
    """``values`` with one row per backbone (its paper-protocol row first), indexed by the backbone name."""
    def backbone(label: str) -> str:
        variant = variants.get(label)
        return label[:-len(f' [{variant}]')] if variant and label.endswith(f' [{variant}]') else label
    order = sorted(values.index, key=lambda label: (backbone(label), variants.get(label) is not None, label))
    picked = values.loc[order]
    picked.index = [backbone(label) for label in order]
    return picked[~picked.index.duplicated(keep='first')]


def utility_from_results(results: list[TransferResult]) -> dict[str, dict[str, list[UtilityPoint]]]:
    """Dataset -> backbone -> U(n) for finetune results run at several label budgets, against the
    from-scratch (random-init, empty checkpoint sha256) backbone's curve on the same dataset."""
    curves: dict[str, dict[str, dict[float, list[float]]]] = {}
    scratch: dict[str, dict[float, list[float]]] = {}
    for r in results:
        n = label_budget(r)
        if r.task != 'finetune' or n is None:
            continue
        if r.checkpoint_sha256:
            target = curves.setdefault(r.dataset, {}).setdefault(row_label(r), {})
        else:
            target = scratch.setdefault(r.dataset, {})
        target.setdefault(n, []).append(r.value)
    out: dict[str, dict[str, list[UtilityPoint]]] = {}
    for dataset, backbones in curves.items():
        if dataset not in scratch:
            continue
        s_n = sorted(scratch[dataset])
        s_acc = [float(np.mean(scratch[dataset][n])) for n in s_n]
        out[dataset] = {name: utility_curve(sorted(pts), [float(np.mean(pts[n])) for n in sorted(pts)], s_n, s_acc)
                        for name, pts in backbones.items()}
    return out


def feature_correlation_check() -> pd.DataFrame:
    """The paper's "Corr. to ImageNet" row recomputed from its published numbers, beside the stated one."""
    ours = corr.paper_feature_correlations()
    stated = corr.paper_stated_correlations()
    frame = pd.DataFrame({'recomputed': ours, 'paper': stated.reindex(ours.index)})
    frame['equal to 2 decimals'] = [round(a, 2) == b for a, b in zip(frame['recomputed'], frame['paper'])]
    intervals = [corr.rounding_interval(c, samples=2000) for c in frame.index]
    frame['rounding lo'] = [lo for lo, _ in intervals]
    frame['rounding hi'] = [hi for _, hi in intervals]
    frame['within rounding'] = [lo - 0.005 <= p <= hi + 0.005 for (lo, hi), p in zip(intervals, frame['paper'])]
    return frame
