"""Results read through Kotar et al.'s (ICCV 2021) four task categories: per category the correlation with
ImageNet top-1, the ranking of backbones, the gain of each self-supervised backbone over the supervised one, a
four-panel figure, and Kotar et al.'s published findings as the reference beside ours.

An **end task** is one (task, dataset, protocol, variant) with its primary metric; each backbone (the suite's
backbone name, else the method) has one value per end task (the mean of repeated runs). Values are transformed as
the paper's correlations (:mod:`.correlation`: logit of bounded scales, errors negated) and z-scored across the
backbones of each end task, so "higher is better" and end tasks on different scales can be pooled. A backbone's
category score is the mean z over the category's end tasks (backbones missing one are left out, as
:func:`.correlation.group_score`); its correlation with logit(ImageNet top-1) is Pearson and Spearman with
bootstrap intervals, as every other correlation of the summary.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mmssl_transfer.results import TransferResult
from mmssl_transfer.tasks import CATEGORIES, category_of

from . import correlation as corr
from .tables import FRACTION, PERCENT, UNBOUNDED, protocol_variant

#: Primary metrics where lower is better (normals' angular errors, depth errors, calibration error).
LOWER_IS_BETTER = frozenset({'mean', 'median', 'rmse', 'abs_rel', 'sq_rel', 'rmse_log', 'log10', 'silog', 'ece'})
#: The zoo's supervised baseline, the reference of the gains.
SUPERVISED = 'supervised'

#: Kotar et al.'s findings per category (the reference ``--compare`` prints): what they state, and whether a
#: like-for-like number of theirs exists to set beside ours (none does: their correlations are drawn per task in
#: a figure, over 30 encoders and 4 pretraining datasets, and the per-category statistic is not published).
KOTAR_FINDINGS: dict[str, str] = {
    'image-level semantic': 'ImageNet accuracy predicts these tasks (clear positive slopes for most tasks)',
    'image-level structural': 'mixed: CLEVR count positive, THOR number of steps negative, egomotion flat',
    'pixelwise semantic': 'weak positive correlation with ImageNet accuracy',
    'pixelwise structural': 'little to no correlation with ImageNet accuracy (flat for every depth task)',
}
KOTAR_GENERAL = ('structural tasks gain more from self-supervision than semantic ones; MoCo-v2 is better on '
                 'pixelwise tasks and SwAV on image-level ones; the supervised encoder is best only on '
                 'ImageNet-like classification')
NO_LIKE_FOR_LIKE = 'no like-for-like number (Kotar et al. publish per-task regression lines, not a category r)'


@dataclass
class CategoryAnalysis:
    """What :func:`analyse_categories` found.

    Attributes:
        end_tasks: End task -> category.
        scores: Backbone x end task: the transformed, oriented, z-scored values.
        correlations: Category -> Pearson / Spearman (with intervals, n) of the category score with ImageNet.
        rankings: Backbone x category: mean rank over the category's end tasks (1 = best).
        best: Category -> the best backbone (lowest mean rank).
        gains: Backbone x category: mean relative gain (%) over the supervised backbone across the category's end
            tasks (positive = better than supervised); empty without a supervised row.
        reference: Category -> Kotar et al.'s finding and whether a like-for-like number exists.
    """

    end_tasks: dict[str, str]
    scores: pd.DataFrame
    correlations: pd.DataFrame
    rankings: pd.DataFrame
    best: dict[str, str]
    gains: pd.DataFrame
    reference: pd.DataFrame = field(default_factory=pd.DataFrame)


def backbone_of(result: TransferResult) -> str:
    """The backbone a result belongs to (the suite's backbone name, else the method)."""
    suite = result.extra.get('suite') if isinstance(result.extra, dict) else None
    return str(suite['backbone']) if isinstance(suite, dict) and suite.get('backbone') else result.method


def end_task_of(result: TransferResult) -> str:
    """``task/dataset/protocol`` plus ``[variant]`` when the run is not the paper's protocol."""
    variant = protocol_variant(result)
    name = f'{result.task}/{result.dataset}/{result.protocol}'
    return name if variant is None else f'{name} [{variant}]'


def end_task_values(results: list[TransferResult]) -> tuple[pd.DataFrame, dict[str, str], dict[str, str]]:
    """(backbone x end task raw primary values, end task -> category, end task -> primary metric); records of rows
    outside Kotar et al.'s categories (feature properties) are left out."""
    rows, categories, metrics = [], {}, {}
    for result in results:
        if category_of(result.task, result.dataset) is None:
            continue
        name = end_task_of(result)
        categories[name] = category_of(result.task, result.dataset)
        metrics[name] = result.primary_metric
        rows.append((backbone_of(result), name, result.value))
    if not rows:
        return pd.DataFrame(), categories, metrics
    frame = pd.DataFrame(rows, columns=['backbone', 'end_task', 'value'])
    return frame.pivot_table(index='backbone', columns='end_task', values='value', aggfunc='mean'), categories, metrics


def _scale(values: pd.Series, metric: str) -> str:
    if metric in LOWER_IS_BETTER:
        return UNBOUNDED
    finite = values.dropna()
    if finite.between(0, 1).all() and metric in ('mIoU', 'miou', 'aAcc', 'd1', 'd2', 'd3'):
        return FRACTION
    return PERCENT if finite.between(0, 100).all() else UNBOUNDED


def oriented_scores(values: pd.DataFrame, metrics: dict[str, str]) -> pd.DataFrame:
    """Each end task transformed and oriented (higher = better) and z-scored across backbones."""
    z = {}
    for name in values.columns:
        y = pd.Series(corr.transform(values[name].to_numpy(), _scale(values[name], metrics[name]),
                                     metrics[name] in LOWER_IS_BETTER), index=values.index)
        std = y.std(ddof=0)
        z[name] = (y - y.mean()) / std if std > 0 else y * 0.0
    return pd.DataFrame(z, index=values.index)


def relative_gains(values: pd.DataFrame, metrics: dict[str, str], reference: str = SUPERVISED) -> pd.DataFrame:
    """Backbone x end task: 100 * (value - reference) / |reference|, negated where lower is better."""
    if reference not in values.index:
        return pd.DataFrame()
    base = values.loc[reference]
    gains = (values - base) / base.abs().replace(0, np.nan) * 100.0
    for name in gains.columns:
        if metrics[name] in LOWER_IS_BETTER:
            gains[name] = -gains[name]
    return gains.drop(index=reference)


def analyse_categories(results: list[TransferResult], n_boot: int = 2000) -> CategoryAnalysis:
    """Everything the summary reports per category (see the module docstring)."""
    values, end_tasks, metrics = end_task_values(results)
    scores = oriented_scores(values, metrics) if not values.empty else pd.DataFrame()
    imagenet = corr.imagenet_top1({b: b for b in values.index}) if not values.empty else pd.Series(dtype=float)
    correlations, rankings, best, gains = {}, {}, {}, {}
    gain_table = relative_gains(values, metrics) if not values.empty else pd.DataFrame()
    for category in CATEGORIES:
        names = [n for n in scores.columns if end_tasks[n] == category]
        if not names:
            continue
        score = scores[names].mean(axis=1, skipna=False).dropna()
        x = corr.transform(imagenet.reindex(score.index).to_numpy(), PERCENT)
        correlations[category] = corr.correlate(x, score.to_numpy(), n_boot=n_boot).as_dict()
        rankings[category] = scores[names].rank(ascending=False, method='average').mean(axis=1)
        if rankings[category].notna().any():
            best[category] = str(rankings[category].idxmin())
        if not gain_table.empty:
            gains[category] = gain_table[names].mean(axis=1)
    reference = pd.DataFrame({'Kotar et al. finding': KOTAR_FINDINGS, 'like-for-like': NO_LIKE_FOR_LIKE})
    return CategoryAnalysis(end_tasks=end_tasks, scores=scores,
                            correlations=pd.DataFrame.from_dict(correlations, orient='index'),
                            rankings=pd.DataFrame(rankings), best=best, gains=pd.DataFrame(gains),
                            reference=reference.reindex(list(correlations) or list(CATEGORIES)))


def category_figure(analysis: CategoryAnalysis, stem: Path) -> list[Path]:
    """Four panels (one per category): one point per backbone and end task, z-scored end-task score against
    ImageNet top-1, with the category's Pearson / Spearman r in the title."""
    from .plots import plt, save_figure
    scores = analysis.scores
    most = max([sum(analysis.end_tasks.get(n) == c for n in scores.columns) for c in CATEGORIES] or [0])
    # each panel's legend sits below it (end-task names are long): the figure grows with the longest legend
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.2 + 0.13 * most), squeeze=False, layout='constrained')
    imagenet = corr.imagenet_top1({b: b for b in scores.index}) if not scores.empty else pd.Series(dtype=float)
    for ax, category in zip(axes.flat, CATEGORIES):
        names = [n for n in scores.columns if analysis.end_tasks.get(n) == category]
        for name in names:
            keep = scores[name].notna() & imagenet.reindex(scores.index).notna()
            ax.scatter(imagenet.reindex(scores.index)[keep], scores[name][keep], s=12, label=name)
        r = analysis.correlations.loc[category] if category in analysis.correlations.index else None
        subtitle = (f'r={r["pearson"]:.2f}  rho={r["spearman"]:.2f}'
                    if r is not None and np.isfinite(r['pearson']) else 'no end task' if not names
                    else f'r undefined (n={int(r["n"])})' if r is not None else 'r undefined')
        ax.set_title(f'{category}\n{subtitle}', fontsize=8)
        ax.set_xlabel('ImageNet top-1 (%)', fontsize=7)
        ax.tick_params(labelsize=6)
        if names:
            ax.legend(fontsize=5, loc='upper center', bbox_to_anchor=(0.5, -0.22), frameon=False)
    axes.flat[0].set_ylabel('end-task score (z, higher is better)', fontsize=7)
    fig.suptitle("Kotar et al.'s task categories", fontsize=10)
    return save_figure(fig, stem)


def by_pretraining_data(results: list[TransferResult]) -> pd.DataFrame:
    """End tasks (with their category) x pretraining data: the mean primary value of the backbones pretrained
    on each (a record written before ``pretraining_data`` was recorded takes its zoo row's)."""
    from mmssl_transfer.checkpoints import pretraining_data_of
    rows = [(category_of(r.task, r.dataset), end_task_of(r), pretraining_data_of(r.method, r.pretraining_data),
             r.value) for r in results if category_of(r.task, r.dataset) is not None]
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows, columns=['category', 'end_task', 'pretraining_data', 'value'])
    return frame.pivot_table(index=['category', 'end_task'], columns='pretraining_data', values='value',
                             aggfunc='mean')
