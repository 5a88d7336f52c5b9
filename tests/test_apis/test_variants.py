"""Named protocol variants: every variant file is a fragment that names itself and applies to any experiment config
of its task; the result record says which protocol ran, and only the paper's own is ``paper_protocol``."""
from pathlib import Path

import pytest
from mmengine.config import Config

from mmssl_transfer.apis import LaunchError, load_config
from mmssl_transfer.apis.runs import make_result, transfer_task
from mmssl_transfer.apis.variants import _assigns_base, load_with_variants
from mmssl_transfer.project_files import variant_configs
from mmssl_transfer.results import result_variant

CONFIGS = Path(__file__).parents[2] / 'configs'
#: task -> the experiment config a variant of that task is applied to (SimCLR: the input-normalisation variants
#: change nothing for the other methods)
EXPERIMENTS = {'det': CONFIGS / 'det' / 'simclrv1_frozen_voc.py',
               'seg': CONFIGS / 'seg' / 'simclrv1_upernet_ade20k.py',
               'normals': CONFIGS / 'normals' / 'simclrv1_pspnet_nyuv2.py'}
#: (task, variant) -> the experiment config of a variant made for the ViT rows only
VIT_ONLY = {('seg', 'dinov2-linear'): CONFIGS / 'seg' / 'dinov2_vits14_upernet_ade20k.py'}
VARIANTS = [(task, name) for task in EXPERIMENTS for name in variant_configs(task)]


def test_every_task_has_variants_and_the_paper_is_none_of_them():
    assert {task for task, _ in VARIANTS} == set(EXPERIMENTS)
    assert ('det', 'bs16-linear-scaling') in VARIANTS and ('seg', 'single-scale') in VARIANTS
    assert not any(name == 'paper' for _, name in VARIANTS)


@pytest.mark.parametrize('task, name', VARIANTS)
def test_variant_file_names_itself_and_changes_the_experiment(task, name):
    path = variant_configs(task)[name]
    text = path.read_text()
    assert not _assigns_base(text), f'{path}: a variant has no _base_ of its own'
    assert text.startswith('# Variant of the'), f'{path}: say what the variant changes, first'
    experiment = VIT_ONLY.get((task, name), EXPERIMENTS[task])
    paper = Config.fromfile(str(experiment))
    cfg = load_with_variants(experiment, [name])
    assert cfg.transfer_task.variant == name and cfg.filename == str(experiment)
    assert cfg.transfer_task.total_batch_size == cfg.train_dataloader.batch_size  # the single-process value
    changed = {k for k in set(paper.keys()) | set(cfg.keys()) if k != 'transfer_task' and paper.get(k) != cfg.get(k)}
    assert changed, f'{name} changes nothing but its name'


def test_unknown_variant_is_one_error_listing_the_known_ones():
    with pytest.raises(LaunchError, match=r"unknown det variant 'bs8' \(known: .*bs16-linear-scaling"):
        load_config(str(EXPERIMENTS['det']), variants=['bs8'])


def test_variant_file_with_its_own_base_is_refused(tmp_path, monkeypatch):
    fragment = tmp_path / 'bad.py'
    fragment.write_text("_base_ = ['x.py']\ntransfer_task = dict(variant='bad')\n")
    monkeypatch.setattr('mmssl_transfer.apis.variants.variant_configs', lambda task: {'bad': fragment})
    with pytest.raises(LaunchError, match='must not set _base_'):
        load_with_variants(EXPERIMENTS['det'], ['bad'])


def test_default_work_dir_names_the_variant():
    cfg = load_config(str(EXPERIMENTS['det']), variants=['bs16-linear-scaling'])
    assert cfg.work_dir.endswith('simclrv1_frozen_voc_bs16-linear-scaling')
    assert load_config(str(EXPERIMENTS['det'])).work_dir.endswith('simclrv1_frozen_voc')


@pytest.mark.parametrize('test_variant, train_variant, expected', [
    ('paper', None, 'paper'), ('paper', 'paper', 'paper'),
    ('single-scale', 'paper', 'single-scale'),  # a test-time variant of a paper-trained model
    ('paper', 'bs16-linear-scaling', 'bs16-linear-scaling'),  # a variant-trained model tested without naming it
    ('ms-flip', 'mmseg-512x512-160k', 'mmseg-512x512-160k+ms-flip'),
    ('flip-aug', 'flip-aug', 'flip-aug'), (None, 'flip-aug', None)])
def test_result_variant_joins_the_training_and_test_variants(test_variant, train_variant, expected):
    assert result_variant(test_variant, train_variant) == expected


def test_result_record_marks_only_the_papers_protocol():
    metrics = {'pascal_voc/AP': 50.0}
    provenance = {'method': 'simclrv1', 'sha256': ''}
    paper = load_config(str(EXPERIMENTS['det']))
    assert make_result(paper, transfer_task(paper), metrics, provenance).paper_protocol is True
    scaled = load_config(str(EXPERIMENTS['det']), variants=['bs16-linear-scaling'])
    record = make_result(scaled, transfer_task(scaled), metrics, provenance)
    assert record.paper_protocol is False
    assert record.hparams['variant'] == 'bs16-linear-scaling' and record.hparams['total_batch_size'] == 16
    retested = make_result(paper, transfer_task(paper), metrics, provenance, train_variant='bs16-linear-scaling')
    assert retested.paper_protocol is False and retested.extra['train_variant'] == 'bs16-linear-scaling'
    unstated = load_config(str(EXPERIMENTS['det']), cfg_options={'transfer_task': dict(
        task='det', dataset='voc0712', protocol='frozen', primary_metric='AP')})
    unstated.transfer_task.pop('variant'), unstated.transfer_task.pop('total_batch_size')
    record = make_result(unstated, transfer_task(unstated), metrics, provenance)
    assert record.paper_protocol is None and 'variant' not in record.hparams


def test_total_batch_size_must_be_a_positive_integer():
    cfg = load_config(str(EXPERIMENTS['det']), cfg_options={'transfer_task.total_batch_size': 0})
    with pytest.raises(LaunchError, match='total_batch_size must be a positive integer'):
        transfer_task(cfg)
