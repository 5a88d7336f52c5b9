"""Suite files: shipped suites load, the paper suite is the paper's matrix, mistakes name the file."""
import pytest

from mmssl_transfer.suite import TASKS, SuiteError, expand, load_suite, shipped_suites

from tests.test_suite.suite_helpers import write_suite


def test_shipped_suites_are_package_data():
    assert {'paper', 'quick', 'demo'} <= set(shipped_suites())


def test_paper_suite_lists_the_14_paper_models_and_every_task_kind():
    from mmssl_transfer.checkpoints import VIT_ZOO, ZOO
    spec = load_suite('paper')
    resnets = [b.method for b in spec.backbones if b.method in ZOO]
    assert set(resnets) == {n for n, s in ZOO.items() if s.in_paper} and len(resnets) == 14
    assert [b.method for b in spec.backbones if b.method not in ZOO] == list(VIT_ZOO)  # the vit block
    # depth is Kotar et al.'s task, not the paper's
    assert {t.kind for t in spec.tasks} == set(TASKS) - {'depth'}


def test_demo_suite_runs_the_depth_task_on_the_toy_nyuv2(tmp_path):
    spec = load_suite('demo')
    cells = [c for c in expand(spec, {kind: tmp_path / kind for kind in spec.toy_kinds}, resolve_zoo=False)
             if c.kind == 'depth']
    assert [(c.dataset, c.protocol, c.data_root) for c in cells] == [('nyuv2', 'frozen', str(tmp_path / 'nyuv2'))]


def test_paper_suite_expands_to_every_cell_of_the_paper_in_a_stable_order():
    spec = load_suite('paper')
    cells = expand(spec, resolve_zoo=False)
    # per model: det frozen + finetune, seg, normals, 11 linear, 11 finetune, 14 x (5, 20)-shot, 11 x 50-shot,
    # 15 feature-property cells, and the kotar block's CLEVR count (linear, finetune, 5/20/50-shot); per ViT (the vit
    # block): the recognition probes only
    assert len(cells) == 14 * (2 + 1 + 1 + 11 + 11 + 28 + 11 + 15 + 5) + 11 * (11 + 11 + 28 + 11)
    clevr = [c for c in cells if c.dataset == 'clevr_count']
    fewshot = {('fewshot', f'5way-{k}shot') for k in (5, 20, 50)}
    assert {(c.kind, c.protocol_label) for c in clevr} == {('linear', 'paper'), ('finetune', 'finetune')} | fewshot
    vit_cells = [c for c in cells if c.backbone.method.startswith(('dino', 'mocov3', 'mae', 'ibot'))]
    assert len(vit_cells) == 11 * 61 and {c.kind for c in vit_cells} == {'linear', 'finetune', 'fewshot'}
    assert [c.cell_id for c in cells] == [c.cell_id for c in expand(spec, resolve_zoo=False)]
    assert len({c.cell_id for c in cells}) == len(cells)
    fifty = {c.dataset for c in cells if c.protocol_label == '5way-50shot'}
    assert not fifty & {'caltech101', 'cars', 'flowers'}
    assert cells[0].kind == 'det' and [c.backbone.name for c in cells[:14]][0] == 'insdis'


@pytest.mark.parametrize('mutation, message', [
    ({'tasks': [{'kind': 'egomotion'}]}, "tasks[0].kind: unknown kind 'egomotion'"),
    ({'backbones': [{'name': 'x', 'method': 'resnet18'}]}, "backbones[0].method: unknown method 'resnet18'"),
    ({'tasks': [{'kind': 'linear', 'datasets': ['mnist']}]}, "tasks[0].datasets: ['mnist'] not supported"),
    ({'tasks': [{'kind': 'det', 'protocols': ['partial']}]}, "tasks[0].protocols: ['partial'] not supported"),
    ({'tasks': [{'kind': 'fewshot', 'datasets': ['dtd'], 'shots': ['five']}]}, 'tasks[0].shots: shots must be'),
    ({'backbones': ['byol', 'byol']}, 'backbone names must be unique'),
    ({'colour': 'red'}, "unknown top-level keys ['colour']"),
    ({'backbones': []}, 'backbones: a non-empty list is required'),
    ({'tasks': [{'kind': 'det', 'variant': 'bs8'}]}, "tasks[0].variant: unknown det variants ['bs8'] (known: "),
    ({'tasks': [{'kind': 'linear', 'datasets': ['dtd'], 'variant': 'x'}]}, "unknown keys ['variant']"),
])
def test_mistakes_are_one_error_naming_the_file_and_the_entry(tmp_path, mutation, message):
    data = {'name': 'x', 'backbones': ['byol'], 'tasks': [{'kind': 'linear', 'datasets': ['dtd']}]}
    data.update(mutation)
    path = write_suite(tmp_path, data)
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert str(info.value).startswith(f'{path}: ')
    assert message in str(info.value)


def test_missing_or_unparsable_suite_file_names_it(tmp_path):
    with pytest.raises(SuiteError, match='no such suite file'):
        load_suite(tmp_path / 'nope.yaml')
    bad = tmp_path / 'bad.yaml'
    bad.write_text('tasks: [kind: det\n')
    with pytest.raises(SuiteError, match=f'{bad}: not valid YAML'):
        load_suite(bad)


def test_a_missing_checkpoint_file_is_named_when_the_matrix_is_built(tmp_path):
    path = write_suite(tmp_path, {'backbones': [{'name': 'mine', 'method': 'byol', 'checkpoint': 'no/such.pth'}],
                                  'tasks': [{'kind': 'linear', 'datasets': ['dtd']}]})
    with pytest.raises(SuiteError, match=r"backbone 'mine': checkpoint file no/such.pth not found"):
        expand(load_suite(path))


def test_demo_suite_runs_every_task_family_on_toy_checkpoints_of_three_methods(tmp_path):
    spec = load_suite('demo')
    assert spec.is_toy and set(spec.toy_kinds) == {'checkpoints', 'vit_checkpoints', 'voc', 'ade20k', 'nyuv2',
                                                   'classification'}
    toy_methods = {b.method for b in spec.backbones if b.checkpoint == 'toy'}
    assert len(toy_methods) >= 3
    cells = expand(spec, {kind: tmp_path / kind for kind in spec.toy_kinds}, resolve_zoo=False)
    assert {(c.kind, c.protocol) for c in cells} >= {('det', 'frozen'), ('det', 'finetune'), ('seg', 'finetune'),
                                                     ('normals', 'frozen'), ('linear', 'paper'),
                                                     ('finetune', 'finetune'), ('fewshot', 'prototypical')}
    assert cells[0].data_root == str(tmp_path / 'voc')
    assert any(c.checkpoint is None and dict(c.grid).get('labels_per_class') for c in cells)  # scratch curve
    # the train/test cells run the toy variant (one with a named variant on top); the probes take flags
    assert {c.config_variants for c in cells if c.spec.family == 'train_test'} == {('toy',), ('toy', 'flip-aug')}
    assert {c.backbone.name for c in cells if c.dataset == 'clevr_count'} == {'byol', 'mocov2', 'swav'}  # linear
    vit = {(c.kind, c.backbone.method) for c in cells if c.checkpoint and 'vit_checkpoints' in c.checkpoint}
    assert {k for k, _ in vit} == {'linear', 'fewshot', 'finetune'} and len({m for _, m in vit}) == 3


def test_quick_suite_loads():
    assert len(expand(load_suite('quick'), resolve_zoo=False)) == 4 * (4 + 2 * 2 + 1)
