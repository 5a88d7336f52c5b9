"""Summary tables from a hand-made result store, comparison with the shipped paper tables, rankings,
and the HTML report opened in a real headless Chromium."""
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmssl_transfer.analysis.formatting import display_frame
from mmssl_transfer.analysis.paper_reference import load_reference
from mmssl_transfer.analysis.report import write_summary
from mmssl_transfer.analysis.summary import PAPER, SummaryError, load_results, paper_results, summarize
from mmssl_transfer.results import TransferResult, write_result

LINEAR = {'supervised': {'dtd': 72.0, 'pets': 91.0}, 'byol': {'dtd': 77.0, 'pets': 89.0},
          'insdis': {'dtd': 68.0, 'pets': 69.0}}


def _result(backbone, task, dataset, protocol, metrics, primary, ci=None, paper_protocol=True, variant=None):
    """A hand-made record; by default of a paper-protocol run."""
    return TransferResult(task=task, dataset=dataset, protocol=protocol, method=backbone, checkpoint_sha256='ab',
                          metrics=metrics, primary_metric=primary, ci=ci or {}, paper_protocol=paper_protocol,
                          hparams={'variant': variant} if variant else {}, extra={'suite': {'backbone': backbone}})


@pytest.fixture
def store(tmp_path) -> Path:
    """A result store written by hand: linear on DTD/Pets, 5-shot DTD with CI, frozen detection."""
    results = []
    for b, values in LINEAR.items():
        for d, v in values.items():
            results.append(_result(b, 'linear', d, 'linear', {'accuracy': v}, 'accuracy'))
    for b, v in {'supervised': 80.0, 'byol': 81.0, 'insdis': 73.0}.items():
        results.append(_result(b, 'fewshot', 'dtd', '5way-5shot', {'accuracy': v}, 'accuracy', {'accuracy': 0.6}))
    for b, ap in {'supervised': 52.0, 'byol': 53.3, 'insdis': 50.1}.items():
        results.append(_result(b, 'det', 'voc0712', 'frozen', {'AP': ap, 'AP50': ap + 28, 'AP75': ap + 4}, 'AP'))
    for i, r in enumerate(results):
        write_result(tmp_path / 'results' / f'{i:02d}.json', r)
    return tmp_path


def _table(summary, name):
    return next(t for t in summary.tables if t.spec.name == name)


def test_tables_from_a_hand_made_store_have_values_averages_and_best_marks(store):
    summary = summarize(load_results(store), n_boot=200)
    linear = _table(summary, 'linear_manyshot')
    assert list(linear.values.columns) == ['DTD', 'Pets', 'Avg']
    assert linear.values.loc['byol', 'DTD'] == 77.0 and linear.values.loc['insdis', 'Avg'] == 68.5
    assert linear.marks.loc['byol', 'DTD'] == 'best' and linear.marks.loc['supervised', 'DTD'] == 'second'
    assert linear.marks.loc['supervised', 'Pets'] == 'best'
    shown = display_frame(linear)
    assert shown.loc['byol', 'DTD'] == '**77.00**' and shown.loc['supervised', 'DTD'] == '_72.00_'
    fewshot = _table(summary, 'fewshot_5way5shot')
    assert display_frame(fewshot).loc['insdis', 'DTD'] == '73.00 ± 0.60'
    det = _table(summary, 'detection_voc')
    assert list(det.values.columns) == ['Frozen AP', 'Frozen AP50', 'Frozen AP75']
    assert list(linear.values.index) == ['insdis', 'byol', 'supervised']  # ordered by ImageNet top-1


def test_rankings_per_table_and_average_rank_per_backbone(store):
    summary = summarize(load_results(store), n_boot=200)
    ranks = summary.rankings
    assert ranks.loc['byol', 'linear_manyshot'] == 1.5  # 1st on DTD, 2nd on Pets
    assert ranks.loc['insdis', 'linear_manyshot'] == 3.0
    assert ranks.loc['byol', 'detection_voc'] == 1.0
    assert ranks.index[0] == 'byol' and ranks.index[-1] == 'insdis'
    assert ranks.loc['byol', 'average rank'] == pytest.approx(np.mean([1.5, 1.0, 1.0]))


def test_comparison_with_the_shipped_paper_tables_gives_ours_theirs_and_diff(tmp_path):
    paper, _ = load_reference('linear_manyshot.csv')
    for i, method in enumerate(('byol', 'swav', 'supervised')):
        write_result(tmp_path / 'results' / f'{i}.json', _result(
            method, 'linear', 'dtd', 'linear', {'accuracy': paper.at[method, 'DTD'] + 1.0}, 'accuracy'))
    summary = summarize(load_results(tmp_path), compare=PAPER, n_boot=100)
    comparison = _table(summary, 'linear_manyshot').comparison
    assert set(comparison['method']) == {'byol', 'swav', 'supervised'}
    assert comparison.set_index('method').loc['byol', 'paper'] == 76.91
    assert np.allclose(comparison['diff'], 1.0)


def test_the_published_numbers_summarise_into_the_papers_own_tables_and_correlations():
    summary = summarize(paper_results(), source=PAPER, n_boot=200)
    linear = _table(summary, 'linear_manyshot')
    published, _ = load_reference('linear_manyshot.csv')
    assert linear.values.loc['deepclusterv2', 'Aircraft'] == published.at['deepclusterv2', 'Aircraft']
    assert np.allclose(linear.values['Avg'], published.loc[linear.values.index, 'Avg'], atol=0.01)
    assert len(linear.values) == 14
    dense = _table(summary, 'dense')
    assert dense.values.loc['supervised', 'ADE mIoU↑'] == pytest.approx(25.63)  # percent, as pixel accuracy
    assert dense.marks.loc['simclrv2', 'SN Mean↓'] == 'best'  # lowest error wins
    # the paper: ImageNet top-1 correlates strongly with many-shot linear, much less with detection
    lin_r = linear.correlations.loc['many-shot linear (group)', 'pearson']
    det_r = _table(summary, 'detection_voc').correlations.loc['detection (group)', 'pearson']
    assert lin_r > 0.8 and det_r < lin_r
    assert summary.feature_correlations['within rounding'].all()


def test_a_folder_without_results_is_one_error_naming_it(tmp_path):
    with pytest.raises(SummaryError, match=f'{tmp_path}: no result JSON found'):
        load_results(tmp_path)


def test_report_files_are_written_and_the_html_renders_in_headless_chromium(store, tmp_path):
    summary = summarize(load_results(store), source=str(store), compare=PAPER, n_boot=200)
    paths = write_summary(summary, tmp_path / 'summary')
    assert (tmp_path / 'summary' / 'tables' / 'linear_manyshot.csv').is_file()
    assert pd.read_csv(tmp_path / 'summary' / 'tables' / 'linear_manyshot.csv', index_col=0).loc['byol', 'DTD'] == 77
    assert '**77.00**' in paths['markdown'].read_text()
    assert (tmp_path / 'summary' / 'figures' / 'linear_manyshot_vs_imagenet.pdf').is_file()
    html = paths['report'].read_text()
    assert html.count('data:image/png;base64,') >= 3 and 'http' not in html.replace('http-equiv', '')
    chromium = shutil.which('chromium') or shutil.which('chromium-browser')
    if chromium is None:
        pytest.fail('chromium is not installed (Debian: apt-get install -y chromium); the report test needs it')
    shot = tmp_path / 'shot.png'
    subprocess.run([chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                    '--disable-component-update', '--disable-sync', '--no-first-run',
                    f'--user-data-dir={tmp_path / "chromium-profile"}', '--hide-scrollbars',
                    '--window-size=1200,1600', f'--screenshot={shot}', paths['report'].as_uri()],
                   check=True, capture_output=True, timeout=120)
    from PIL import Image
    pixels = np.asarray(Image.open(shot).convert('L'), dtype=float)
    assert pixels.shape == (1600, 1200)
    assert pixels.std() > 10  # not a blank page
    assert (pixels < 128).mean() > 0.005  # text and plots drawn


def test_label_budget_runs_give_utility_curves_and_stay_out_of_the_finetune_table(tmp_path):
    def finetune(backbone, sha, labels, accuracy):
        r = _result(backbone, 'finetune', 'dtd', 'finetune', {'top1': accuracy}, 'top1')
        r.checkpoint_sha256 = sha
        r.extra['suite']['variant'] = {'labels_per_class': labels} if labels else {}
        return r
    results = [finetune('scratch', '', 10, 20.0), finetune('scratch', '', 100, 40.0),
               finetune('byol', 'ab', 10, 40.0), finetune('byol', 'ab', 100, 45.0), finetune('byol', 'ab', None, 70.0)]
    summary = summarize(results, n_boot=50)
    table = _table(summary, 'finetune_manyshot')
    assert table.values.loc['byol', 'DTD'] == 70.0 and 'scratch' not in table.values.index
    low, high = summary.utility['dtd']['byol']
    assert (low.n, low.n_hat, low.utility) == (10.0, 100.0, 9.0)  # 10 labels worth 100 from scratch
    assert not high.defined  # 45% is above the best from-scratch accuracy (40%)
    paths = write_summary(summary, tmp_path / 'summary')
    assert (tmp_path / 'summary' / 'figures' / 'utility_dtd.png').is_file()
    assert 'undefined (above the best from-scratch accuracy)' in paths['report'].read_text()
    markdown = paths['markdown'].read_text()
    assert '| byol | 10 | 40.00 | 100.0 | 9.00 |' in markdown  # labels per class printed as the count it is
    assert '10.00' not in markdown and '10.0 ' not in markdown
    assert '<td>10</td>' in paths['report'].read_text()
    assert pd.read_csv(tmp_path / 'summary' / 'utility.csv')['labels_per_class'].tolist() == [10, 100]


def _tool_main(name):
    import importlib.util
    spec = importlib.util.spec_from_file_location(f'tool_{name}', Path(__file__).resolve().parents[2] / 'tools' /
                                                  f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


@pytest.fixture
def mixed_store(tmp_path) -> Path:
    """Paper-protocol runs, a variant, a record from before paper_protocol existed, and ADE20K."""
    linear, _ = load_reference('linear_manyshot.csv')
    dense, _ = load_reference('dense.csv')
    results = [
        _result('byol', 'linear', 'dtd', 'paper', {'top1': linear.at['byol', 'DTD'] + 1.0}, 'top1'),
        _result('byol', 'linear', 'dtd', 'converged', {'top1': linear.at['byol', 'DTD'] + 5.0}, 'top1',
                paper_protocol=False, variant='protocol=converged'),
        _result('swav', 'linear', 'dtd', 'linear', {'top1': linear.at['swav', 'DTD'] - 2.0}, 'top1',
                paper_protocol=None),
        _result('supervised', 'seg', 'ade20k', 'finetune', {'mIoU': 40.0, 'aAcc': 80.0}, 'mIoU'),
        _result('supervised', 'normals', 'nyuv2', 'frozen', {'mean': dense.at['supervised', 'SN Mean↓'] + 0.5,
                                                             'median': 20.0}, 'mean'),
    ]
    for i, r in enumerate(results):
        write_result(tmp_path / 'results' / f'{i}.json', r)
    return tmp_path


def test_variants_and_unknown_protocols_get_their_own_labelled_rows(mixed_store):
    linear = _table(summarize(load_results(mixed_store), n_boot=50), 'linear_manyshot')
    assert set(linear.values.index) == {'byol', 'byol [protocol=converged]', 'swav [protocol unknown]'}
    reference, _ = load_reference('linear_manyshot.csv')
    assert linear.values.at['byol', 'DTD'] == reference.at['byol', 'DTD'] + 1.0  # never averaged with the variant


def test_compare_paper_diffs_only_paper_protocol_cells_and_marks_ade20k_not_comparable(mixed_store, tmp_path):
    summary = summarize(load_results(mixed_store), compare=PAPER, n_boot=50)
    linear = _table(summary, 'linear_manyshot').comparison.set_index('backbone')
    assert linear.at['byol', 'status'] == 'compared' and linear.at['byol', 'diff'] == pytest.approx(1.0)
    assert linear.at['byol [protocol=converged]', 'status'] == 'variant'
    assert np.isnan(linear.at['byol [protocol=converged]', 'diff'])
    assert "'protocol=converged'" in linear.at['byol [protocol=converged]', 'reason']
    assert linear.at['swav [protocol unknown]', 'status'] == 'protocol unknown'
    assert np.isnan(linear.at['swav [protocol unknown]', 'diff'])
    dense = _table(summary, 'dense').comparison.set_index('column')
    ade = dense.loc[['ADE mIoU↑', 'ADE pixel acc↑']]
    assert (ade['status'] == 'not comparable').all() and ade['diff'].isna().all()
    assert all('strict=False' in r and '0.256 mIoU' in r for r in ade['reason'])
    assert dense.at['SN Mean↓', 'status'] == 'compared' and dense.at['SN Mean↓', 'diff'] == pytest.approx(0.5)
    markdown = write_summary(summary, tmp_path / 'summary')['markdown'].read_text()
    assert 'not diffed (not comparable): ADE mIoU↑, ADE pixel acc↑ (2 cells)' in markdown
    assert '(n/c)' in markdown and '(variant)' in markdown and '(unknown)' in markdown
    vs_paper = pd.read_csv(tmp_path / 'summary' / 'tables' / 'linear_manyshot_vs_paper.csv')
    assert sorted(vs_paper['status']) == ['compared', 'protocol unknown', 'variant']


def test_summarize_tool_says_what_compare_paper_diffed_and_what_not_and_why(
        mixed_store, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv('COLUMNS', '300')
    assert _tool_main('summarize')([str(mixed_store), '--compare', 'paper', '--out', str(tmp_path / 's'),
                                    '--bootstrap', '50']) == 0
    out = ' '.join(capsys.readouterr().out.split())
    assert 'vs paper: 1 cell of paper-protocol runs diffed, mean |ours - paper| = 1.00' in out
    assert "not diffed (variant): byol [protocol=converged] (1 cell): run with the variant 'protocol=converged'" in out
    assert 'not diffed (protocol unknown): swav [protocol unknown] (1 cell)' in out
    assert 'not diffed (not comparable): ADE mIoU↑, ADE pixel acc↑ (2 cells)' in out and 'strict=False' in out


def test_the_papers_own_numbers_are_paper_protocol_and_compare_to_themselves():
    results = paper_results()
    assert {r.paper_protocol for r in results} == {True}
    summary = summarize(results, compare=PAPER, n_boot=20)
    linear = _table(summary, 'linear_manyshot').comparison
    assert (linear['status'] == 'compared').all() and np.allclose(linear['diff'], 0.0, atol=0.01)  # Avg: rounding
    calibration = _table(summary, 'calibration').comparison.set_index('column')
    # finetune ECE: the paper's finetune.py computes none, so its published values are not diffed
    assert set(calibration.loc[['FT unscaled', 'FT scaled'], 'status']) == {'not comparable'}
    assert set(calibration.loc[['Lin unscaled', 'Lin scaled'], 'status']) == {'compared'}


def test_a_narrow_console_still_shows_every_value_beside_long_variant_labels(tmp_path):
    """rich squeezed the value columns of a table with long variant labels to nothing in an 80-column log."""
    import io

    from rich.console import Console

    from mmssl_transfer.analysis.formatting import print_summary
    variant = 'lrs=0.01+wds=0+steps=4+total_batch_size=8+image_size=32'
    results = [_result(b, 'linear', d, 'converged', {'top1': v}, 'top1', paper_protocol=False, variant=variant)
               for b, values in LINEAR.items() for d, v in values.items()]
    for i, r in enumerate(results):
        write_result(tmp_path / 'results' / f'{i}.json', r)
    summary = summarize(load_results(tmp_path), n_boot=50)
    out = io.StringIO()
    print_summary(summary, Console(file=out, width=60))
    printed = out.getvalue()
    linear = display_frame(_table(summary, 'linear_manyshot'))
    assert linear.shape == (3, 3) and all(variant in label for label in linear.index)  # DTD, Pets, average
    for label, values in linear.iterrows():
        row = next(line for line in printed.splitlines() if label in line)
        assert [cell.strip() for cell in row.split('│')[2:-1]] == [cell.strip('*_') for cell in values]


def test_rows_of_a_backbone_not_pretrained_on_imagenet_say_so():
    from mmssl_transfer.analysis.tables import row_label
    from mmssl_transfer.results import TransferResult

    def result(method):
        return TransferResult(task='linear', dataset='dtd', protocol='paper', method=method, checkpoint_sha256='',
                              metrics={'top1': 50.0}, primary_metric='top1', paper_protocol=True)
    assert row_label(result('dinov2_vits14_reg4')) == 'dinov2_vits14_reg4 (LVD-142M)'
    assert row_label(result('dino_vits16')) == 'dino_vits16' and row_label(result('byol')) == 'byol'
