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


def test_the_suite_form_one_dataset_and_its_folder_is_accepted(toy_cls, toy_ckpt, tmp_path):
    """A suite cell passes ``--dataset NAME --data-root DIR`` (the row's option list); the record is the same."""
    args = ['--checkpoint', str(toy_ckpt), '--method', 'mocov2', '--base-channels', '8', '--dataset', 'dtd',
            '--data-root', str(toy_cls / 'dtd'), '--per-dataset', '1', '--target-resize', '32', '--crop', '32',
            '--noise-size', '32', '--generator-scales', '2', '--max-iter', '1', '--saliency-size', '20', '--patch',
            '4', '--stride', '4', '--lpips-trunks', 'random', '--device', 'cpu', '--no-png', '--seed', '3']
    assert _main()(args + ['--out', str(tmp_path / 'a.json')]) == 0
    named = [a if a != str(toy_cls / 'dtd') else f'dtd={toy_cls / "dtd"}' for a in args]
    assert _main()(named + ['--out', str(tmp_path / 'b.json')]) == 0
    a, b = read_result(tmp_path / 'a.json'), read_result(tmp_path / 'b.json')
    assert a.dataset == b.dataset == 'dtd' and a.metrics == b.metrics and a.extra['seeds'] == [3]


def test_a_plain_data_root_with_several_datasets_is_an_error(toy_ckpt, tmp_path, capsys):
    args = ['--checkpoint', str(toy_ckpt), '--datasets', 'dtd', 'eurosat', '--data-root', str(tmp_path),
            '--lpips-trunks', 'random', '--out', str(tmp_path / 'x.json')]
    assert _main()(args) == 2
    assert 'a plain DIR needs one dataset' in capsys.readouterr().err


def test_missing_dataset_is_one_error_line_and_exit_2(toy_ckpt, tmp_path, capsys):
    args = ['--checkpoint', str(toy_ckpt), '--base-channels', '8', '--datasets', 'dtd', '--data-root',
            f'dtd={tmp_path / "nowhere"}', '--lpips-trunks', 'random', '--out', str(tmp_path / 'x.json')]
    assert _main()(args) == 2
    assert capsys.readouterr().err.startswith('feature_properties.py: error: ')


def test_only_the_papers_settings_are_the_paper_protocol():
    from mmssl_transfer.probes.feature_properties.dip import PAPER_DIP_PROTOCOL
    from mmssl_transfer.probes.feature_properties.experiment import PropertySettings
    from mmssl_transfer.probes.feature_properties.saliency import PAPER_SALIENCY_PROTOCOL
    from mmssl_transfer.results import deviations
    from mmssl_transfer.tasks import PAPER_FEATURE_PROPERTIES_PROTOCOL, TASKS
    assert PAPER_FEATURE_PROPERTIES_PROTOCOL == TASKS['feature_properties'].paper_settings  # the row is the one place
    assert (PAPER_DIP_PROTOCOL['max_iter'], PAPER_DIP_PROTOCOL['channels']) == (3000, (16, 32, 64, 128, 128, 128))
    assert len(PAPER_DIP_PROTOCOL['channels']) == PAPER_FEATURE_PROPERTIES_PROTOCOL['generator_scales']
    assert (PAPER_SALIENCY_PROTOCOL['image_size'], PAPER_SALIENCY_PROTOCOL['patch']) == (242, 10)
    assert deviations(PropertySettings().protocol_fields(), PAPER_FEATURE_PROPERTIES_PROTOCOL) == []
    assert PropertySettings().generator().channels == (16, 32, 64, 128, 128, 128)
    assert len(PropertySettings().datasets) == 15
    assert PropertySettings().image_set() == 'recognition15'
    one = PropertySettings(datasets=('dtd',))  # a suite cell: one dataset of the set, still the paper's protocol
    assert deviations(one.protocol_fields(), PAPER_FEATURE_PROPERTIES_PROTOCOL) == [] and one.image_set() == 'dtd'
    more = PropertySettings(images_per_dataset=4, amp=True, datasets=('dtd',))
    assert deviations(more.protocol_fields(), PAPER_FEATURE_PROPERTIES_PROTOCOL) == ['images_per_dataset=4', 'amp=True']
