"""CLEVR count through the recognition probes (linear, few-shot, finetune) on the toy CLEVR with toy checkpoints,
and the records in Kotar et al.'s image-level structural category of the summary."""
from pathlib import Path

import pytest

from mmssl_transfer.results import read_result
from mmssl_transfer.tasks import IMAGE_STRUCTURAL, category_of

from tests.test_probes.test_probe_tools import _tool

METHODS = ('mocov2', 'byol')


@pytest.fixture(scope='module')
def toy_clevr(tmp_path_factory) -> Path:
    """20 scenes per count (3..7 objects): enough for 5-way 5-shot episodes with 15 queries."""
    from mmssl_transfer.toy.classification import make_toy_classification
    return make_toy_classification(tmp_path_factory.mktemp('clevr'), datasets=('clevr_count',), n_train=12, n_val=3,
                                   n_test=5) / 'clevr_count'


def _args(toy_checkpoints, toy_clevr, cache, method):
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    return ['--checkpoint', str(toy_checkpoint_path(toy_checkpoints, method)), '--method', method,
            '--dataset', 'clevr_count', '--data-root', str(toy_clevr), '--cache-dir', str(cache),
            '--image-size', '32', '--workers', '0', '--device', 'cpu']


@pytest.fixture(scope='module')
def linear_records(toy_checkpoints, toy_clevr, tmp_path_factory):
    out = tmp_path_factory.mktemp('linear')
    for method in METHODS:
        args = _args(toy_checkpoints, toy_clevr, out / 'cache', method) + [
            '--out', str(out / f'{method}.json'), '--C', '1.0']  # one fit (the sweep: test_probe_tools.py)
        assert _tool('linear_probe')(args) == 0
    return [read_result(out / f'{method}.json') for method in METHODS]


def test_linear_probe_on_clevr_count(linear_records):
    result = linear_records[0]
    assert (result.task, result.dataset, result.protocol, result.primary_metric) == ('linear', 'clevr_count',
                                                                                     'paper', 'top1')
    assert 0 <= result.value <= 100 and result.extra['solver']['fits'] == 1
    assert result.hparams['variant'] == 'C_mode=fixed+image_size=32' and result.paper_protocol is False
    assert category_of(result.task, result.dataset) == IMAGE_STRUCTURAL


def test_fewshot_on_clevr_count(toy_checkpoints, toy_clevr, tmp_path):
    args = _args(toy_checkpoints, toy_clevr, tmp_path / 'cache', 'mocov2') + [
        '--out-dir', str(tmp_path / 'fs'), '--shots', '5', '--episodes', '20']
    assert _tool('fewshot')(args) == 0
    (path,) = sorted((tmp_path / 'fs').glob('*.json'))
    result = read_result(path)
    assert (result.task, result.dataset, result.protocol) == ('fewshot', 'clevr_count', '5way-5shot')
    assert 0 <= result.value <= 100 and result.hparams['episodes'] == 20


def test_finetune_on_clevr_count(toy_checkpoints, toy_clevr, tmp_path):
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    args = ['--dataset', 'clevr_count', '--checkpoint', str(toy_checkpoint_path(toy_checkpoints, 'mocov2')),
            '--method', 'mocov2', '--base-channels', '8', '--data-root', str(toy_clevr),
            '--work-dir', str(tmp_path / 'wd'), '--out', str(tmp_path / 'r.json'), '--lrs', '0.01', '--wds', '0',
            '--max-iters', '1', '--batch-size', '4', '--image-size', '32', '--workers', '0']
    assert _tool('finetune_sweep')(args) == 0
    result = read_result(tmp_path / 'r.json')
    assert (result.task, result.dataset, result.primary_metric) == ('finetune', 'clevr_count', 'top1')
    assert result.extra.get('num_classes', 8) == 8 and 0 <= result.value <= 100


def test_the_category_analysis_has_an_image_level_structural_task(linear_records, tmp_path):
    """The summary's categories table and figure read the CLEVR records as image-level structural."""
    from rich.console import Console

    from mmssl_transfer.analysis.categories import analyse_categories
    from mmssl_transfer.analysis.report import summarize_results
    from mmssl_transfer.results import write_result
    analysis = analyse_categories(linear_records, n_boot=50)
    (end_task,) = analysis.end_tasks
    assert end_task.startswith('linear/clevr_count/paper') and analysis.end_tasks[end_task] == IMAGE_STRUCTURAL
    assert list(analysis.correlations.index) == [IMAGE_STRUCTURAL]
    assert analysis.correlations.loc[IMAGE_STRUCTURAL, 'n'] == len(METHODS)
    assert analysis.best[IMAGE_STRUCTURAL] in METHODS
    for record in linear_records:
        write_result(tmp_path / 'results' / f'{record.method}_clevr.json', record)
    paths = summarize_results(tmp_path / 'results', tmp_path / 'summary',
                              console=Console(file=open(tmp_path / 'log.txt', 'w')), n_boot=50)
    table = (tmp_path / 'summary' / 'tables' / 'categories_imagenet_correlation.csv').read_text()
    assert IMAGE_STRUCTURAL in table and 'image-level semantic' not in table
    assert 'alt="categories"' in paths['report'].read_text()


def test_a_missing_scenes_file_exits_2_naming_it(toy_checkpoints, toy_clevr, tmp_path, capsys):
    import shutil
    broken = tmp_path / 'clevr'
    shutil.copytree(toy_clevr, broken)
    (broken / 'scenes' / 'CLEVR_train_scenes.json').unlink()
    args = _args(toy_checkpoints, broken, tmp_path / 'cache', 'mocov2') + ['--out', str(tmp_path / 'x.json')]
    assert _tool('linear_probe')(args) == 2
    first = capsys.readouterr().err.strip().splitlines()[0]
    assert first == f'linear_probe.py: error: CLEVRCount: {broken}/scenes/CLEVR_train_scenes.json: missing'
