"""Kotar et al.'s task categories: the table, and the per-category correlation, ranking, gains and figure."""
import numpy as np
import pytest

from mmssl_transfer.analysis.categories import analyse_categories, category_figure
from mmssl_transfer.checkpoints import ZOO
from mmssl_transfer.results import TransferResult
from mmssl_transfer.tasks import (CATEGORIES, IMAGE_SEMANTIC, IMAGE_STRUCTURAL, PIXEL_SEMANTIC, PIXEL_STRUCTURAL,
                                  category_of)

METHODS = ('supervised', 'byol', 'swav', 'mocov2', 'simclrv1', 'insdis')


def result(task, dataset, method, metric, value, protocol='frozen'):
    return TransferResult(task=task, dataset=dataset, protocol=protocol, method=method, checkpoint_sha256='',
                          metrics={metric: value}, primary_metric=metric, paper_protocol=True)


def test_every_transfer_task_of_the_benchmark_has_a_category():
    from mmssl_transfer.results import TASKS
    assert {category_of(task) for task in TASKS} - {None} <= set(CATEGORIES)
    assert [task for task in TASKS if category_of(task) is None] == ['feature_properties']  # an analysis, not a task
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


def test_summary_reports_categories_with_kotars_reference_and_the_figure(tmp_path):
    from rich.console import Console

    from mmssl_transfer.analysis.report import summarize_results
    from mmssl_transfer.results import write_result
    for i, method in enumerate(METHODS):
        top1 = ZOO[method].imagenet_top1
        write_result(tmp_path / 'results' / f'{method}_dtd.json', result('linear', 'dtd', method, 'accuracy',
                                                                         top1 - 5, protocol='paper'))
        write_result(tmp_path / 'results' / f'{method}_depth.json', result('depth', 'nyuv2', method, 'rmse',
                                                                           0.5 + 0.01 * i))
    paths = summarize_results(tmp_path / 'results', tmp_path / 'summary', compare='paper',
                              console=Console(file=open(tmp_path / 'log.txt', 'w')), n_boot=50)
    html = paths['report'].read_text()
    assert "Kotar et al.&#x27;s task categories" in html or "Kotar et al.'s task categories" in html
    assert 'alt="categories"' in html and 'little to no correlation' in html
    markdown = paths['markdown'].read_text()
    assert 'Mean relative gain over supervised per category' in markdown and 'By pretraining data' in markdown
    tables = tmp_path / 'summary' / 'tables'
    assert (tables / 'categories_imagenet_correlation.csv').is_file()
    assert (tables / 'by_pretraining_data.csv').read_text().startswith('category,end_task,imagenet-1k')


def test_category_correlations_are_undefined_below_the_stated_number_of_backbones(tmp_path):
    """Like every other correlation of the summary: four backbones give no r (nor an interval that collapses to
    [-1, -1]), five do; the Markdown says why."""
    from mmssl_transfer.analysis.correlation import MIN_CORRELATION_N
    from mmssl_transfer.analysis.report import write_summary
    from mmssl_transfer.analysis.summary import summarize

    def dtd(methods):
        return [result('linear', 'dtd', m, 'accuracy', ZOO[m].imagenet_top1 - 5, protocol='paper') for m in methods]
    assert MIN_CORRELATION_N == 5
    few = analyse_categories(dtd(METHODS[:MIN_CORRELATION_N - 1]), n_boot=50).correlations.loc[IMAGE_SEMANTIC]
    assert few['n'] == 4 and np.isnan(few['pearson']) and np.isnan(few['spearman'])
    assert np.isnan(few['pearson_lo']) and np.isnan(few['spearman_hi'])
    enough = analyse_categories(dtd(METHODS[:MIN_CORRELATION_N]), n_boot=50).correlations.loc[IMAGE_SEMANTIC]
    assert enough['n'] == 5 and enough['spearman'] == pytest.approx(1)
    paths = write_summary(summarize(dtd(METHODS[:4]), n_boot=50), tmp_path / 'summary')
    line = next(x for x in paths['markdown'].read_text().splitlines() if x.startswith(f'| {IMAGE_SEMANTIC} |'))
    assert line.count('undefined (n < 5)') == 2 and '| 4 |' in line
