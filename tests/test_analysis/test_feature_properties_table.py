"""Table 9's feature-property columns in the summary: our records beside the published values, the correlation row."""
import numpy as np
import pytest

from mmssl_transfer.analysis.correlation import paper_feature_correlations
from mmssl_transfer.analysis.paper_reference import load_reference
from mmssl_transfer.analysis.summary import PAPER, load_results, paper_results, summarize
from mmssl_transfer.results import TransferResult, write_result

COLUMNS = {'LPIPS Alex': 'lpips_alex', 'LPIPS VGG': 'lpips_vgg', 'LPIPS Squeeze': 'lpips_squeeze', 'Err R': 'err_r',
           'Err G': 'err_g', 'Err B': 'err_b', 'Attn diffusion': 'attentive_diffusion'}


def _table(summary, name):
    return next(t for t in summary.tables if t.spec.name == name)


def _record(method, dataset, metrics):
    return TransferResult(task='feature_properties', dataset=dataset, protocol='paper', method=method,
                          checkpoint_sha256='ab' * 32, metrics=metrics, primary_metric='attentive_diffusion',
                          paper_protocol=True, hparams={'variant': 'paper'})


def test_our_records_average_over_dataset_cells_and_sit_beside_the_published_values(tmp_path):
    paper, _ = load_reference('feature_properties.csv')
    for i, method in enumerate(('byol', 'swav', 'supervised')):
        published = {m: paper.at[method, c] for c, m in COLUMNS.items()}
        for j, (dataset, shift) in enumerate((('dtd', 0.0), ('eurosat', 0.02))):  # two cells: mean shift 0.01
            write_result(tmp_path / 'results' / f'{i}{j}.json',
                         _record(method, dataset, {m: v + shift for m, v in published.items()}))
    summary = summarize(load_results(tmp_path), compare=PAPER, n_boot=100)
    table = _table(summary, 'feature_properties')
    assert list(table.values.columns) == list(COLUMNS)
    assert table.values.loc['byol', 'Err R'] == pytest.approx(paper.at['byol', 'Err R'] + 0.01)
    comparison = table.comparison
    assert set(comparison['method']) == {'byol', 'swav', 'supervised'} and len(comparison) == 21
    assert np.allclose(comparison['diff'], 0.01)
    assert table.marks.loc['supervised', 'LPIPS VGG'] == 'best'  # lowest perceptual distance wins


def test_the_published_table9_columns_give_the_papers_correlation_row_oriented():
    table = _table(summarize(paper_results(), source=PAPER, n_boot=100), 'feature_properties')
    assert len(table.values) == 14
    recomputed = paper_feature_correlations()
    for label in COLUMNS:
        sign = 1 if label == 'Attn diffusion' else -1  # lower-is-better columns are negated: + reads "better"
        assert table.correlations.loc[label, 'pearson'] == pytest.approx(sign * recomputed[label], abs=1e-9)


def test_the_report_shows_one_original_reconstruction_saliency_figure_per_backbone(tmp_path):
    import matplotlib.pyplot as plt

    from mmssl_transfer.analysis.report import write_summary
    rng = np.random.default_rng(0)
    images = []
    for k, dataset in enumerate(('dtd', 'eurosat')):
        pngs = {}
        for name, size in (('original', 32), ('reconstruction', 32), ('saliency', 24)):
            pngs[name] = str(tmp_path / f'{dataset}_{name}.png')
            plt.imsave(pngs[name], rng.random((size, size)) if name == 'saliency' else rng.random((size, size, 3)))
        images.append({'dataset': dataset, 'index': 0, 'image_id': f'images/{k}.jpg', 'pngs': pngs})
    record = _record('byol', 'dtd+eurosat', {m: 0.5 for m in COLUMNS.values()})
    record.extra['images'] = images
    gone = _record('swav', 'dtd', {m: 0.5 for m in COLUMNS.values()})
    gone.extra['images'] = [{'dataset': 'dtd', 'pngs': {'original': str(tmp_path / 'moved.png')}}]
    write_result(tmp_path / 'results' / 'byol.json', record)
    write_result(tmp_path / 'results' / 'swav.json', gone)
    summary = summarize(load_results(tmp_path / 'results'), n_boot=50)
    assert list(summary.feature_images) == ['byol'] and len(summary.feature_images['byol']) == 2
    paths = write_summary(summary, tmp_path / 'summary')
    assert (tmp_path / 'summary' / 'figures' / 'feature_properties_byol.png').is_file()
    html = paths['report'].read_text()
    assert 'Feature properties per backbone' in html and html.count('data:image/png;base64') >= 1
