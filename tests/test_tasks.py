"""The table of tasks is the one home of a task: its paper settings cite the paper's code and match the configs,
the suite's flags are the tools' flags, and the suite, the configs, the records and the analysis read it."""
import importlib.util
import re
from pathlib import Path

import pytest
from mmengine.config import Config

from mmssl_transfer.tasks import (CATEGORIES, EXPERIMENT_FAMILIES, IMAGE_LEVEL, PAPER_VARIANT, PIXELWISE, SEMANTIC,
                                  STRUCTURAL, TASKS, Probe, TrainTest, category_of)

ROOT = Path(__file__).resolve().parents[1]
#: Files of linusericsson/ssl-transfer a setting may cite; for the feature-property analyses, Zhao et al.'s DIP code
#: (nanxuanzhao/Good_transfer) the paper followed and the paper's appendix (no code of the paper's exists).
PAPER_FILES = ('linear.py', 'finetune.py', 'few_shot.py', 'datasets/few_shot_dataset.py', 'detectron2-configs/',
               'semantic-segmentation/', 'surface-normal-estimation/', 'the finetune config', 'no overrides',
               'code_reconstruction_DIP/', 'paper App. A.8', 'paper App. A.9')
#: Rows that are not a transfer to one of Kotar et al.'s end tasks (category None).
NO_CATEGORY = ('feature_properties',)


@pytest.mark.parametrize('name', sorted(TASKS))
def test_every_paper_setting_is_a_literal_citing_the_paper_code(name):
    spec = TASKS[name]
    assert spec.name == name and spec.family in ('train_test', 'probe')
    if name in NO_CATEGORY:
        assert spec.category is None
    else:
        assert spec.category[0] in (IMAGE_LEVEL, PIXELWISE) and spec.category[1] in (SEMANTIC, STRUCTURAL)
    if spec.has_paper_protocol:
        assert spec.default_variant == PAPER_VARIANT and not spec.borrowed
    else:  # a task the paper lacks (depth) names its default and borrows a paper protocol's settings
        assert spec.default_variant != PAPER_VARIANT and spec.borrowed, f'{name} states no settings'
    for setting in spec.paper or spec.borrowed:
        assert any(setting.source.startswith(f) or f in setting.source.split(' (')[0] for f in PAPER_FILES), setting
        if 'code_reconstruction_DIP/' in setting.source:
            assert 'nanxuanzhao/Good_transfer' in setting.source, setting  # the other work's repository, named
        if setting.source.split()[0].endswith(('.py', '.yaml', '.sh')):
            assert re.search(r'\bL\d+', setting.source), f'{name}.{setting.name}: no line in {setting.source!r}'
    assert isinstance(spec.runner, TrainTest if spec.family == 'train_test' else Probe)
    assert set(spec.default_datasets) <= set(spec.datasets) and spec.protocols


@pytest.mark.parametrize('name', [n for n, s in TASKS.items() if s.family == 'train_test'])
def test_train_test_rows_match_the_paper_protocol_configs(name):
    """Total batch, lr and iterations of the row are the task base configs' (every protocol's), and the base
    names the row's default variant ('paper', or depth's 'normals-protocol')."""
    spec = TASKS[name]
    paper = spec.default_settings
    for protocol, base in spec.runner.bases.items():
        cfg = Config.fromfile(ROOT / 'configs' / base)
        task = cfg.transfer_task
        assert (task.task, task.protocol, task.primary_metric, task.variant) == (name, protocol,
                                                                                 spec.primary_metric,
                                                                                 spec.default_variant)
        assert task.dataset in spec.datasets and task.total_batch_size == paper['total_batch_size']
        assert cfg.optim_wrapper.optimizer.lr == paper['lr'] and cfg.train_cfg.max_iters == paper['max_iters']


def test_experiment_families_are_the_train_test_rows():
    assert {f.path.split('/')[0] for f in EXPERIMENT_FAMILIES.values()} == {'det', 'seg', 'normals', 'depth'}
    assert sorted(EXPERIMENT_FAMILIES) == ['depth', 'det_finetune', 'det_frozen', 'normals', 'seg']
    assert EXPERIMENT_FAMILIES['depth'].path == 'depth/{method}_pspnet_nyuv2_depth.py'
    for family in EXPERIMENT_FAMILIES.values():
        assert (ROOT / 'configs' / family.base).is_file() and '{method}' in family.path


def _tool_help(tool: str, capsys) -> str:
    module_spec = importlib.util.spec_from_file_location(f'_tool_{Path(tool).stem}', ROOT / 'tools' / tool)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    with pytest.raises(SystemExit):
        module.main(['--help'])
    return capsys.readouterr().out


@pytest.mark.parametrize('name', [n for n, s in TASKS.items() if s.family == 'probe'])
def test_the_suite_passes_only_flags_the_tool_accepts(name, capsys):
    """The argv comes from the row's one option list; every flag of it is one of the tool's."""
    runner = TASKS[name].runner
    assert runner.args[0::2] == tuple(f'--{o}' for o in runner.options)
    accepted = set(re.findall(r'(--[a-z][a-z0-9-]*)', _tool_help(runner.tool, capsys)))
    assert set(runner.flags) <= accepted, f'{runner.tool} lacks {set(runner.flags) - accepted}'


def test_the_cell_text_is_round_2s_so_stores_resume():
    """The runner text the suite hashes into a cell's id is byte for byte what the round-2 table hashed."""
    assert TASKS['det'].runner.cell_text() == ("TrainTest(config='configs/det/{method}_{protocol}_voc.py', "
                                               "seed_option='randomness.seed', "
                                               "no_checkpoint_option='model.backbone.checkpoint')")
    assert TASKS['fewshot'].runner.cell_text() == (
        "Probe(tool='fewshot.py', args=('--method', '{method}', '--dataset', '{dataset}', '--data-root', "
        "'{data_root}', '--seed', '{seed}', '--work-dir', '{work_dir}', '--out', '{result}', '--cache-dir', "
        "'{cache_dir}'), checkpoint_args=('--checkpoint', '{checkpoint}'), scratch_args=('--from-scratch',), "
        "variant_args={'ways': ('--ways', '{ways}'), 'shots': ('--shots', '{shots}')}, distributed=True, "
        "trains=False)")


def test_the_category_of_a_task_is_its_rows():
    for name, spec in TASKS.items():
        if spec.category is None:
            assert name in NO_CATEGORY and category_of(name) is None
            continue
        assert category_of(name) == f'{spec.category[0]} {spec.category[1]}' and category_of(name) in CATEGORIES
    assert category_of('depth', 'nyuv2') == category_of('normals') == 'pixelwise structural'
    assert category_of('linear', 'clevr_count') == 'image-level structural'  # the dataset decides


def test_gpu_counts_split_the_total_batch():
    assert TASKS['det'].gpu_counts(8) == (1, 2)
    assert TASKS['seg'].gpu_counts(8) == (1, 2, 4)
    assert TASKS['finetune'].gpu_counts(8) == (1, 2, 4, 8)
    assert TASKS['depth'].gpu_counts(8) == (1, 2)  # the normals schedule it borrows: total batch 2
    assert TASKS['linear'].gpu_counts(3) == (1, 2, 3)  # no training: any count gives the same result


def test_records_and_analysis_read_the_table():
    from mmssl_transfer.analysis.tables import TABLES
    from mmssl_transfer.results import TASKS as RESULT_TASKS

    assert RESULT_TASKS == tuple(TASKS)
    shown = {}
    for table in TABLES:
        for column in table.columns:
            shown.setdefault(column.task, set()).add(table.name)
    # a task no paper table shows (depth) is read through its category only (analysis.categories)
    assert {name: set(spec.tables) for name, spec in TASKS.items() if spec.tables} == shown


@pytest.mark.parametrize('name', [n for n, s in TASKS.items() if s.family == 'train_test'])
def test_every_train_test_protocol_has_a_base_or_the_variant_that_runs_it(name):
    """A protocol of a train/test row runs its own base, or a named config variant on the row's ViT configs
    (seg 'frozen': dinov2-linear), and a run under that variant records the protocol."""
    from mmssl_transfer.tasks import variant_protocol
    runner = TASKS[name].runner
    for protocol in TASKS[name].protocols:
        variant = runner.variant_protocols.get(protocol)
        assert (protocol in runner.bases) != (variant is not None), protocol
        if variant is not None:
            assert (ROOT / 'configs' / 'variants' / name / f'{variant}.py').is_file() and runner.vit_bases
            assert variant_protocol(name, ['toy', variant], 'finetune') == protocol
    assert variant_protocol(name, ['toy'], 'whatever') == 'whatever'
