"""tools/feature_properties.py end to end on toy datasets with a toy checkpoint: one record, PNGs, a variant."""
import importlib.util
from pathlib import Path

from mmssl_transfer.results import read_result

TOOLS = Path(__file__).resolve().parents[2] / 'tools'


def _main():
    spec = importlib.util.spec_from_file_location('tool_feature_properties', TOOLS / 'feature_properties.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def _toy_args(toy_cls, toy_ckpt, out):
    return ['--checkpoint', str(toy_ckpt), '--method', 'mocov2', '--base-channels', '8', '--datasets', 'dtd',
            'eurosat', '--per-dataset', '2', '--data-root', f'dtd={toy_cls / "dtd"}',
            '--data-root', f'eurosat={toy_cls / "eurosat"}', '--target-resize', '32', '--crop', '32',
            '--noise-size', '32', '--generator-scales', '3', '--max-iter', '3', '--saliency-size', '24',
            '--patch', '4', '--stride', '2', '--lpips-trunks', 'random', '--device', 'cpu', '--out', str(out)]


def test_tool_writes_the_table9_record_with_ids_seeds_and_pngs(toy_cls, toy_ckpt, tmp_path, capsys):
    out = tmp_path / 'fp.json'
    assert _main()(_toy_args(toy_cls, toy_ckpt, out)) == 0
    result = read_result(out)
    assert result.task == 'feature_properties' and result.method == 'mocov2' and result.dataset == 'dtd+eurosat'
    assert set(result.metrics) == {'lpips_alex', 'lpips_vgg', 'lpips_squeeze', 'err_r', 'err_g', 'err_b',
                                   'attentive_diffusion'}
    assert 0 < result.metrics['attentive_diffusion'] < 100 and result.metrics['err_r'] > 0
    assert result.paper_protocol is False and result.protocol == 'variant'
    assert 'lpips_trunks=random' in result.hparams['variant'] and 'stride=2' in result.hparams['variant']
    images = result.extra['images']
    assert [(r['dataset'], r['index']) for r in images] == [('dtd', 0), ('dtd', 1), ('eurosat', 0), ('eurosat', 1)]
    assert result.extra['seeds'] == [0, 1, 2, 3] and result.hparams['steps'] == 4
    assert all(Path(p).is_file() for r in images for p in r['pngs'].values())
    assert set(images[0]['pngs']) == {'original', 'reconstruction', 'saliency', 'saliency_view'}
    assert all(r['image_id'] and not r['image_id'].startswith('/') for r in images)
    assert 'attentive diffusion' in capsys.readouterr().out


def test_missing_dataset_is_one_error_line_and_exit_2(toy_ckpt, tmp_path, capsys):
    args = ['--checkpoint', str(toy_ckpt), '--base-channels', '8', '--datasets', 'dtd', '--data-root',
            f'dtd={tmp_path / "nowhere"}', '--lpips-trunks', 'random', '--out', str(tmp_path / 'x.json')]
    assert _main()(args) == 2
    assert capsys.readouterr().err.startswith('feature_properties.py: error: ')


def test_only_the_papers_settings_are_the_paper_protocol():
    from mmssl_transfer.probes.feature_properties.experiment import PAPER_FEATURE_PROPERTIES_PROTOCOL, PropertySettings
    from mmssl_transfer.probes.variants import deviations
    assert deviations(PropertySettings().protocol_fields(), PAPER_FEATURE_PROPERTIES_PROTOCOL) == []
    assert PropertySettings().generator().channels == (16, 32, 64, 128, 128, 128)
    assert len(PropertySettings().datasets) == 15
    assert PropertySettings().image_set() == 'recognition15'
    one = PropertySettings(datasets=('dtd',))  # a suite cell: one dataset of the set, still the paper's protocol
    assert deviations(one.protocol_fields(), PAPER_FEATURE_PROPERTIES_PROTOCOL) == [] and one.image_set() == 'dtd'
    more = PropertySettings(images_per_dataset=4, amp=True, datasets=('dtd',))
    assert deviations(more.protocol_fields(), PAPER_FEATURE_PROPERTIES_PROTOCOL) == ['images_per_dataset=4', 'amp=True']
