"""Cell keys and the command lines the kind table builds for each launcher."""
from pathlib import Path

import pytest

from mmssl_transfer.suite import SuiteError, expand, load_suite
from mmssl_transfer.suite.commands import RunContext, build_steps

from tests.test_suite.suite_helpers import write_suite

REPO_CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


def _cells(tmp_path, checkpoint, **task):
    data = {'backbones': [{'name': 'b', 'method': 'byol', 'checkpoint': str(checkpoint)}],
            'data_roots': {'voc0712': 'data/VOC', 'dtd': 'data/dtd'},
            'tasks': [task]}
    return expand(load_suite(write_suite(tmp_path, data)))


def test_cell_key_holds_checkpoint_sha_task_dataset_protocol_seed_and_config_hash(tmp_path, two_checkpoints):
    cell, = _cells(tmp_path, two_checkpoints['byol'], kind='fewshot', datasets=['dtd'], shots=[5])
    import hashlib
    assert cell.key['checkpoint_sha256'] == hashlib.sha256(two_checkpoints['byol'].read_bytes()).hexdigest()
    assert (cell.key['task'], cell.key['dataset'], cell.key['protocol'], cell.key['seed']) == \
        ('fewshot', 'dtd', '5way-5shot', 0)
    assert len(cell.key['config_hash']) == 16
    assert cell.cell_id.startswith('b.fewshot.dtd.5way-5shot.s0.')


def test_a_changed_option_seed_or_checkpoint_makes_a_new_cell(tmp_path, two_checkpoints):
    base, = _cells(tmp_path, two_checkpoints['byol'], kind='det', protocols=['frozen'])
    other_option, = _cells(tmp_path, two_checkpoints['byol'], kind='det', protocols=['frozen'],
                           cfg_options={'train_cfg.max_iters': 10})
    other_seed, = _cells(tmp_path, two_checkpoints['byol'], kind='det', protocols=['frozen'], seeds=[1])
    other_ckpt, = _cells(tmp_path, two_checkpoints['mocov2'], kind='det', protocols=['frozen'])
    ids = {base.cell_id, other_option.cell_id, other_seed.cell_id, other_ckpt.cell_id}
    assert len(ids) == 4
    assert base.config_hash != other_option.config_hash
    assert base.cell_id == _cells(tmp_path, two_checkpoints['byol'], kind='det', protocols=['frozen'])[0].cell_id


def test_the_config_hash_covers_the_mmdet_base_the_detector_inherits(tmp_path, two_checkpoints, monkeypatch):
    from mmssl_transfer.suite import matrix

    from tests.test_suite.suite_helpers import REPO
    chain = {label: text for _, label, text in matrix._config_chain(REPO / 'configs/det/byol_frozen_voc.py')}
    mmdet_base = chain['mmdet::_base_/models/faster-rcnn_r50_fpn.py']
    assert "type='FasterRCNN'" in mmdet_base  # read from the installed mmdet, labelled by its package name
    base, = _cells(tmp_path, two_checkpoints['byol'], kind='det', protocols=['frozen'])
    original = matrix._config_chain

    def edited_mmdet(config):
        for path, label, text in original(config):
            yield path, label, text.replace('num_outs=5', 'num_outs=6') if label.startswith('mmdet::') else text
    monkeypatch.setattr(matrix, '_config_chain', edited_mmdet)
    changed, = _cells(tmp_path, two_checkpoints['byol'], kind='det', protocols=['frozen'])
    assert changed.config_hash != base.config_hash


def test_train_test_cells_use_train_py_then_test_py_on_one_gpu(tmp_path, two_checkpoints):
    cell, = _cells(tmp_path, two_checkpoints['byol'], kind='det', protocols=['finetune'],
                   cfg_options={'train_cfg.max_iters': 4})
    train, test = build_steps(RunContext(out_dir=tmp_path / 'out'), cell)
    argv = train.resolve()
    assert Path(argv[1]).name == 'train.py' and argv[2].endswith('configs/det/byol_finetune_voc.py')
    assert argv[argv.index('--data-root') + 1] == 'data/VOC'
    assert argv[argv.index('--checkpoint') + 1] == str(two_checkpoints['byol'])
    assert 'train_cfg.max_iters=4' in argv and 'randomness.seed=0' in argv
    assert Path(test.argv[1]).name == 'test.py' and '<work_dir/last_checkpoint>' in test.display()
    assert '--checkpoint' not in test.argv  # the trained model checkpoint carries the backbone


def test_gpus_use_dist_scripts_and_slurm_uses_slurm_scripts(tmp_path, two_checkpoints):
    cell, = _cells(tmp_path, two_checkpoints['byol'], kind='det', protocols=['frozen'])
    train, test = build_steps(RunContext(out_dir=tmp_path, gpus=8), cell)
    assert Path(train.argv[1]).name == 'dist_train.sh' and train.argv[3] == '8'
    assert Path(test.argv[1]).name == 'dist_test.sh' and test.argv[4] == '8'
    train, test = build_steps(RunContext(out_dir=tmp_path, gpus=8, launcher='slurm', partition='gpu'), cell)
    assert Path(train.argv[1]).name == 'slurm_train.sh' and train.argv[2] == 'gpu'
    assert train.env['GPUS'] == '8' and Path(test.argv[1]).name == 'slurm_test.sh'


def test_probe_cells_call_their_tool_and_go_through_torchrun_with_gpus(tmp_path, two_checkpoints):
    cell, = _cells(tmp_path, two_checkpoints['byol'], kind='fewshot', datasets=['dtd'], shots=[20])
    step, = build_steps(RunContext(out_dir=tmp_path), cell)
    argv = step.resolve()
    assert Path(argv[1]).name == 'fewshot.py'
    assert argv[argv.index('--shots') + 1] == '20' and argv[argv.index('--dataset') + 1] == 'dtd'
    assert argv[argv.index('--out') + 1].endswith(f'cells/{cell.cell_id}/result.json')
    step, = build_steps(RunContext(out_dir=tmp_path, gpus=2), cell)
    assert step.argv[1:4] == ['-m', 'mmssl_transfer.torchrun', '--nproc_per_node=2']
    assert step.argv[-2:] == ['--launcher', 'pytorch']


def test_linear_cells_run_the_papers_protocol_unless_the_suite_names_the_converged_one(tmp_path, two_checkpoints):
    cell, = _cells(tmp_path, two_checkpoints['byol'], kind='linear', datasets=['dtd'])
    argv = build_steps(RunContext(out_dir=tmp_path), cell)[0].resolve()
    assert cell.protocol == 'paper' and argv[argv.index('--protocol') + 1] == 'paper'
    cell, = _cells(tmp_path, two_checkpoints['byol'], kind='linear', datasets=['dtd'], protocols=['converged'])
    argv = build_steps(RunContext(out_dir=tmp_path), cell)[0].resolve()
    assert argv[argv.index('--protocol') + 1] == 'converged' and '.linear.dtd.converged.' in cell.cell_id


def test_dry_run_checks_the_data_then_lists_cells_and_commands_and_runs_nothing(tmp_path, monkeypatch):
    import io
    import shutil

    from rich.console import Console

    from mmssl_transfer.apis.suite_data import SuiteDataError
    from mmssl_transfer.apis.suite_runs import run_suite
    from mmssl_transfer.toy.classification import make_toy_classification
    monkeypatch.chdir(tmp_path)  # the quick suite reads the catalog's data/... roots
    console = Console(file=io.StringIO(), width=300)
    with pytest.raises(SuiteDataError, match='6 of the 6 datasets this suite needs are missing'):
        run_suite('quick', tmp_path / 'out', dry_run=True, console=console)
    assert 'data of suite quick' in console.file.getvalue()
    shutil.copytree(make_toy_classification(tmp_path / 'toy', datasets=('dtd',)) / 'dtd', tmp_path / 'data' / 'dtd')
    console = Console(file=io.StringIO(), width=80)  # piped output: tables at full width, never split mid-path
    assert run_suite('quick', tmp_path / 'out', dry_run=True, skip_missing=True, console=console) == 0
    text = console.file.getvalue()
    assert any('linear_probe.py' in line and '--dataset dtd' in line for line in text.splitlines()), text
    # linear and 5/20-shot on DTD for 4 backbones: the cells whose data are there
    assert 'suite quick: 12 cells (dry run)' in text and 'linear_probe.py' in text and 'dist_' not in text
    assert not (tmp_path / 'out' / 'results').exists()


def test_paper_suite_fewshot_and_finetune_cells_leave_the_tools_on_the_papers_protocol(tmp_path):
    """The suite passes no transform, episode, grid, augmentation or batch flag to the few-shot and finetune cells
    of the paper suite, so each tool's default runs: the paper's few-shot transform (ssl-transfer
    datasets/few_shot_dataset.py L158-159 + L173: Resize((257, 257)), CenterCrop(224)) and finetune.py's grid
    (L519-521), fixed augmentation (L501) and total batch 64 (L496)."""
    import argparse

    from mmssl_transfer.probes.cli import add_transform_arg
    cells = [c for c in expand(load_suite('paper'), resolve_zoo=False) if c.kind in ('fewshot', 'finetune')]
    assert {c.kind for c in cells} == {'fewshot', 'finetune'}
    protocol_flags = {'--transform', '--episodes', '--queries', '--image-size', '--lrs', '--wds', '--no-da',
                      '--search-augmentation', '--head-init', '--batch-size', '--max-iters'}
    for cell in cells:
        argv = build_steps(RunContext(out_dir=tmp_path), cell)[0].resolve()
        assert not protocol_flags & set(argv), cell.cell_id
        assert '--ways' not in argv or argv[argv.index('--ways') + 1] == '5'
    parser = argparse.ArgumentParser()
    add_transform_arg(parser, 'paper_fewshot')
    assert parser.parse_args([]).transform == 'paper_fewshot'


def test_a_named_variant_reaches_train_and_test_and_makes_its_own_cell(tmp_path, two_checkpoints, monkeypatch):
    paper, = _cells(tmp_path, two_checkpoints['byol'], kind='det', protocols=['frozen'])
    scaled, = _cells(tmp_path, two_checkpoints['byol'], kind='det', protocols=['frozen'],
                     variant='bs16-linear-scaling')
    assert scaled.config_variants == ('bs16-linear-scaling',) and paper.config_variants == ()
    assert 'config_variants' not in paper.key and scaled.key['config_variants'] == ['bs16-linear-scaling']
    assert scaled.cell_id.startswith('b.det.voc0712.frozen.bs16-linear-scaling.s0.')
    assert scaled.config_hash != paper.config_hash
    for step in build_steps(RunContext(out_dir=tmp_path / 'out'), scaled):
        argv = step.resolve() if step.name == 'train' else step.argv
        assert argv[argv.index('--variant') + 1] == 'bs16-linear-scaling', step.name
    assert '--variant' not in build_steps(RunContext(out_dir=tmp_path / 'out'), paper)[0].argv
    # the hash covers the variant file's text (it has no _base_ chain of its own)
    from mmssl_transfer.suite import matrix
    original = matrix.variant_configs
    edited = tmp_path / 'edited.py'
    edited.write_text(original('det')['bs16-linear-scaling'].read_text() + '\n# edited\n')
    monkeypatch.setattr(matrix, 'variant_configs', lambda task, configs=None: {'bs16-linear-scaling': edited})
    again, = _cells(tmp_path, two_checkpoints['byol'], kind='det', protocols=['frozen'],
                    variant='bs16-linear-scaling')
    assert again.config_hash != scaled.config_hash


def test_gpus_and_the_per_gpu_cap_reach_the_tools_that_train_and_no_batch_is_scaled(tmp_path, two_checkpoints):
    det, = _cells(tmp_path, two_checkpoints['byol'], kind='det', protocols=['frozen'])
    finetune, = _cells(tmp_path, two_checkpoints['byol'], kind='finetune', datasets=['dtd'])
    linear, = _cells(tmp_path, two_checkpoints['byol'], kind='linear', datasets=['dtd'])
    ctx = RunContext(out_dir=tmp_path, gpus=8, max_batch_per_gpu=4)
    train, test = build_steps(ctx, det)
    assert train.argv[train.argv.index('--max-batch-per-gpu') + 1] == '4' and '--max-batch-per-gpu' not in test.argv
    step, = build_steps(ctx, finetune)
    assert step.argv[3:5] == ['--nproc_per_node=8', '--standalone']  # a free port per cell
    assert step.argv[step.argv.index('--max-batch-per-gpu') + 1] == '4'
    step, = build_steps(ctx, linear)
    assert '--max-batch-per-gpu' not in step.argv  # probes do not train
    for steps in (build_steps(ctx, det), build_steps(RunContext(out_dir=tmp_path), det)):
        assert not any('batch_size' in str(a) for s in steps for a in s.argv)  # the tools split the total
    slurm_train, _ = build_steps(RunContext(out_dir=tmp_path, gpus=16, launcher='slurm', partition='p',
                                            max_batch_per_gpu=2), det)
    assert slurm_train.env == {'GPUS': '16', 'GPUS_PER_NODE': '8'}
    assert slurm_train.argv[slurm_train.argv.index('--max-batch-per-gpu') + 1] == '2'


def test_a_suite_backbone_can_run_the_users_own_configs(tmp_path, two_checkpoints):
    """``config: mynet`` makes the train/test cells run configs/<task>/mynet_*.py, not the zoo method's."""
    repo = tmp_path / 'repo'
    (repo / 'configs' / 'det').mkdir(parents=True)
    mine = repo / 'configs' / 'det' / 'mynet_frozen_voc.py'
    mine.write_text((REPO_CONFIGS / 'det' / 'byol_frozen_voc.py').read_text().replace('../', f'{REPO_CONFIGS}/'))
    data = {'backbones': [{'name': 'mine', 'method': 'byol', 'checkpoint': str(two_checkpoints['byol']),
                           'config': 'mynet'}],
            'data_roots': {'voc0712': 'data/VOC'}, 'tasks': [{'kind': 'det', 'protocols': ['frozen']}]}
    cell, = expand(load_suite(write_suite(tmp_path, data)), repo_root=repo)
    assert cell.config_path(repo) == mine
    train, test = build_steps(RunContext(out_dir=tmp_path / 'out', repo_root=repo), cell)
    assert str(mine) in train.argv and str(mine) in test.argv
    with pytest.raises(SuiteError, match="config: 'my/net' is not a config name"):
        load_suite(write_suite(tmp_path, dict(data, backbones=[dict(data['backbones'][0], config='my/net')])))
