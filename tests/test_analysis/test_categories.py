"""Kotar et al.'s task categories: the table, and the per-category correlation, ranking, gains and figure."""
import numpy as np
import pytest

from mmssl_transfer.analysis.categories import analyse_categories, category_figure
from mmssl_transfer.checkpoints import ZOO
from mmssl_transfer.results import TransferResult
from mmssl_transfer.task_categories import (CATEGORIES, IMAGE_SEMANTIC, IMAGE_STRUCTURAL, PIXEL_SEMANTIC,
                                            PIXEL_STRUCTURAL, category_of)

METHODS = ('supervised', 'byol', 'swav', 'mocov2', 'simclrv1', 'insdis')


def result(task, dataset, method, metric, value, protocol='frozen'):
    return TransferResult(task=task, dataset=dataset, protocol=protocol, method=method, checkpoint_sha256='',
                          metrics={metric: value}, primary_metric=metric, paper_protocol=True)


def test_every_task_of_the_benchmark_has_a_category():
    from mmssl_transfer.results import TASKS
    assert {category_of(task) for task in TASKS} <= set(CATEGORIES)
    assert category_of('linear', 'dtd') == IMAGE_SEMANTIC and category_of('linear', 'clevr_count') == IMAGE_STRUCTURAL
    assert category_of('det', 'voc0712') == PIXEL_SEMANTIC and category_of('depth', 'nyuv2') == PIXEL_STRUCTURAL
    with pytest.raises(KeyError, match='no category'):
        category_of('egomotion')


@pytest.fixture(scope='module')
def analysis():
    rng = np.random.default_rng(0)
    results = []
    for method in METHODS:
        top1 = ZOO[method].imagenet_top1
        # recognition follows ImageNet exactly; depth error (lower is better) does not
        results += [result('linear', 'dtd', method, 'accuracy', top1 - 5, protocol='paper'),
                    result('linear', 'pets', method, 'accuracy', top1 + 10, protocol='paper'),
                    result('depth', 'nyuv2', method, 'rmse', 0.6 + 0.1 * rng.random()),
                    result('normals', 'nyuv2', method, 'mean', 20 + 5 * rng.random())]
    return analyse_categories(results, n_boot=200)


def test_semantic_image_tasks_correlate_with_imagenet_and_structural_ones_are_reported_apart(analysis):
    corr = analysis.correlations
    assert set(corr.index) == {IMAGE_SEMANTIC, PIXEL_STRUCTURAL}
    assert corr.loc[IMAGE_SEMANTIC, 'pearson'] > 0.99 and corr.loc[IMAGE_SEMANTIC, 'spearman'] == pytest.approx(1)
    assert corr.loc[IMAGE_SEMANTIC, 'pearson_lo'] <= corr.loc[IMAGE_SEMANTIC, 'pearson']
    assert corr.loc[PIXEL_STRUCTURAL, 'n'] == len(METHODS)
    assert analysis.end_tasks['depth/nyuv2/frozen'] == PIXEL_STRUCTURAL


def test_rankings_best_backbone_and_gains_over_supervised(analysis):
    best_top1 = max(METHODS, key=lambda m: ZOO[m].imagenet_top1)
    assert analysis.best[IMAGE_SEMANTIC] == best_top1 and analysis.rankings.loc[best_top1, IMAGE_SEMANTIC] == 1
    gains = analysis.gains
    assert 'supervised' not in gains.index and set(gains.columns) == {IMAGE_SEMANTIC, PIXEL_STRUCTURAL}
    sup = ZOO['supervised'].imagenet_top1
    expected = np.mean([100 * (ZOO['byol'].imagenet_top1 - sup) / (sup - 5),
                        100 * (ZOO['byol'].imagenet_top1 - sup) / (sup + 10)])
    assert gains.loc['byol', IMAGE_SEMANTIC] == pytest.approx(expected)
    assert analysis.reference.loc[PIXEL_STRUCTURAL, 'like-for-like'].startswith('no like-for-like')


def test_four_panel_figure_is_written(analysis, tmp_path):
    paths = category_figure(analysis, tmp_path / 'categories')
    assert [p.suffix for p in paths] == ['.png', '.pdf'] and all(p.stat().st_size > 1000 for p in paths)


def test_results_group_by_pretraining_data():
    from mmssl_transfer.analysis.categories import by_pretraining_data
    places = result('linear', 'dtd', 'custom', 'accuracy', 40.0, protocol='paper')
    places.pretraining_data = 'places365'
    old = result('linear', 'dtd', 'byol', 'accuracy', 70.0, protocol='paper')  # no pretraining_data recorded
    table = by_pretraining_data([places, old, result('linear', 'dtd', 'swav', 'accuracy', 80.0, protocol='paper')])
    assert table.loc[(IMAGE_SEMANTIC, 'linear/dtd/paper')].to_dict() == {'imagenet-1k': 75.0, 'places365': 40.0}
