"""A ViT zoo row in a train/test task of the suite runs the config its row's ViT base generates, and a task
protocol without a ViT base refuses it with one line (issue 26)."""
from dataclasses import replace

import pytest

from mmssl_transfer.suite import SuiteError, expand, load_suite
from mmssl_transfer.tasks import TASKS

from tests.test_suite.suite_helpers import REPO, write_suite


def _suite(tmp_path, kind, protocols, method='dino_vitb16'):
    return load_suite(write_suite(tmp_path, {
        'backbones': [{'name': 'vit', 'method': method, 'checkpoint': 'none'}],
        'data_roots': {'voc0712': 'data/VOC', 'nyuv2': 'data/nyu'},
        'tasks': [{'kind': kind, 'protocols': protocols}]}))


def test_a_task_protocol_without_a_vit_base_refuses_a_vit_backbone(tmp_path, monkeypatch):
    spec = TASKS['normals']
    monkeypatch.setitem(TASKS, 'normals', replace(spec, runner=replace(spec.runner, vit_bases={})))
    with pytest.raises(SuiteError, match=r"backbone 'vit' is the ViT dino_vitb16, but task 'normals' has no ViT "
                                         r"configs for protocol 'frozen' \(ViT bases: none\)"):
        expand(_suite(tmp_path, 'normals', ['frozen']), resolve_zoo=False)


@pytest.mark.parametrize('kind', [name for name, spec in TASKS.items() if getattr(spec.runner, 'vit_bases', None)])
def test_a_vit_cell_runs_its_rows_generated_config(tmp_path, kind):
    protocols = sorted(TASKS[kind].runner.vit_bases)
    cells = expand(_suite(tmp_path, kind, protocols, method='dinov2_vits14'), resolve_zoo=False)
    for cell in cells:
        path = cell.config_path(REPO)
        assert path.is_file() and path.name.startswith('dinov2_vits14_')
        assert TASKS[kind].runner.vit_bases[cell.protocol].base_for(14).split('/')[-1] in path.read_text()


def test_a_protocol_run_through_a_variant_gets_it_and_is_for_the_vit_rows_only(tmp_path):
    """seg 'frozen' is the dinov2-linear variant on a ViT row's generated config (tasks.py variant_protocols): the
    suite passes --variant dinov2-linear; a ResNet backbone is refused with one line."""
    from mmssl_transfer.suite.commands import RunContext, build_steps
    (cell,) = expand(_suite(tmp_path, 'seg', ['frozen'], method='dinov2_vits14'), resolve_zoo=False)
    assert cell.protocol == 'frozen' and cell.config_variants == ('dinov2-linear',)
    assert cell.config_path(REPO).name == 'dinov2_vits14_upernet_ade20k.py'
    for step in build_steps(RunContext(out_dir=tmp_path), cell):  # train and test both run the variant
        argv = [a for a in step.argv if isinstance(a, str)]
        assert argv[argv.index('--variant') + 1] == 'dinov2-linear', step.name
    for sub in ('ft', 'r50'):
        (tmp_path / sub).mkdir()
    (finetune,) = expand(_suite(tmp_path / 'ft', 'seg', ['finetune'], method='dinov2_vits14'), resolve_zoo=False)
    assert finetune.config_variants == ()
    with pytest.raises(SuiteError, match=r"backbone 'vit' is not a ViT, but task 'seg' runs protocol 'frozen' only "
                                         r"on the ViT rows \(variant 'dinov2-linear'\)"):
        expand(_suite(tmp_path / 'r50', 'seg', ['frozen'], method='byol'), resolve_zoo=False)
