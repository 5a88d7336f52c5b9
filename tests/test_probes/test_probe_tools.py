"""The probe tools end to end on toy data with a toy checkpoint: one TransferResult JSON each, bad input exits 2."""
import importlib.util
import json
from pathlib import Path

import pytest

from mmssl_transfer.datasets.classification import TransferDTD
from mmssl_transfer.results import read_result

TOOLS = Path(__file__).resolve().parents[2] / 'tools'


def _tool(name):
    spec = importlib.util.spec_from_file_location(f'tool_{name}', TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def _common(toy_cls, ckpt, cache, dataset):
    # no --base-channels: the tools read the width-8 toy checkpoint's width from its stem
    return ['--checkpoint', str(ckpt), '--method', 'mocov2', '--dataset', dataset,
            '--data-root', str(toy_cls / dataset), '--cache-dir', str(cache), '--image-size', '32',
            '--workers', '0', '--device', 'cpu']


def test_linear_probe_tool_writes_a_result(toy_cls, toy_ckpt, tmp_path, capsys):
    out = tmp_path / 'linear.json'
    args = _common(toy_cls, toy_ckpt, tmp_path / 'cache', 'dtd') + [
        '--out', str(out), '--grid-size', '9', '--max-iter', '100']
    assert _tool('linear_probe')(args) == 0
    result = read_result(out)
    assert (result.task, result.dataset, result.protocol, result.method) == ('linear', 'dtd', 'paper', 'mocov2')
    assert result.primary_metric == 'top1' and result.value > 20.0  # 5 classes: chance is 20
    assert len(result.checkpoint_sha256) == 64
    assert result.hparams['C'] == pytest.approx(1 / result.hparams['wd'])
    assert (result.hparams['C_mode'], result.hparams['max_iter'], result.hparams['tol']) == ('sweep', 100, 1e-4)
    assert result.paper_protocol is False  # a 9-point grid is not the paper's 45 (linear.py L129), 32 px not 224
    assert result.hparams['variant'] == 'wd_grid=9-point+image_size=32'
    solver = result.extra['solver']
    assert solver['fits'] == 10 and solver['fits_converged'] + solver['fits_at_max_iter'] + solver['fits_stalled'] == 10
    assert {'ece', 'ece_temperature_scaled'} <= set(result.metrics)
    assert result.extra['calibration']['temperature_scheme'] == 'paper'
    assert len(result.extra['val_curve']) == 9
    printed = capsys.readouterr().out
    assert 'dtd linear top1' in printed  # the line says what the record says: a variant, not the paper's protocol
    assert '(variant wd_grid=9-point+image_size=32; paper solver' in printed and 'paper protocol' not in printed


def test_linear_probe_tool_protocols_and_fixed_c(toy_cls, toy_ckpt, tmp_path):
    common = _common(toy_cls, toy_ckpt, tmp_path / 'cache', 'dtd')
    assert _tool('linear_probe')(common + ['--out', str(tmp_path / 'c.json'), '--protocol', 'converged',
                                           '--grid-size', '5']) == 0
    converged = read_result(tmp_path / 'c.json')
    assert converged.protocol == 'converged' and converged.paper_protocol is False
    assert (converged.hparams['max_iter'], converged.hparams['tol']) == (1000, 1e-6)
    assert converged.extra['solver']['fits'] == 6
    assert converged.hparams['variant'] == 'protocol=converged+wd_grid=5-point+max_iter=1000+tol=1e-06+image_size=32'
    assert _tool('linear_probe')(common + ['--out', str(tmp_path / 'f.json'), '--C', '0.5']) == 0
    fixed = read_result(tmp_path / 'f.json')
    assert (fixed.hparams['C'], fixed.hparams['C_mode'], fixed.extra['val_curve']) == (0.5, 'fixed', [])
    assert fixed.extra['solver']['fits'] == 1  # no sweep: the train+val fit only
    assert fixed.paper_protocol is False and fixed.hparams['variant'] == 'C_mode=fixed+image_size=32'


def test_linear_probe_tool_paper_c_reads_the_papers_choice(toy_cls, toy_checkpoints, tmp_path):
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    ckpt = toy_checkpoint_path(toy_checkpoints, 'mocov2')
    args = _common(toy_cls, ckpt, tmp_path / 'cache', 'dtd') + ['--out', str(tmp_path / 'p.json'), '--paper-c']
    args[args.index('--method') + 1] = 'auto'  # detected: the file name picks mocov2 among its layout's methods
    assert _tool('linear_probe')(args) == 0
    result = read_result(tmp_path / 'p.json')
    # linear_selected_C.csv, row moco-v2, column dtd: 1.78e+03, i.e. the grid's C = 10 ** 3.25
    assert result.hparams['C_mode'] == 'paper-c' and result.hparams['C'] == pytest.approx(10 ** 3.25, rel=1e-6)
    assert result.method == 'mocov2' and result.paper_protocol is False


def test_linear_probe_tool_paper_c_refuses_unknown_or_ambiguous_methods(toy_cls, toy_checkpoints, tmp_path, capsys):
    import shutil

    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    anonymous = tmp_path / 'weights.pth.tar'  # the MoCo-v2 layout is PCL-v2's too; no name to tell them apart
    shutil.copy(toy_checkpoint_path(toy_checkpoints, 'mocov2'), anonymous)
    args = _common(toy_cls, anonymous, tmp_path / 'cache', 'dtd') + ['--out', str(tmp_path / 'p.json'),
                                                                     '--paper-c']
    args[args.index('--method') + 1] = 'auto'
    assert _tool('linear_probe')(args) == 2
    err = capsys.readouterr().err
    assert 'pclv2' in err and 'mocov2' in err and '--method' in err
    barlow = _common(toy_cls, toy_checkpoint_path(toy_checkpoints, 'barlowtwins'), tmp_path / 'cache', 'dtd')
    barlow[barlow.index('--method') + 1] = 'barlowtwins'  # not one of the paper's models
    assert _tool('linear_probe')(barlow + ['--out', str(tmp_path / 'p.json'), '--paper-c']) == 2
    assert "no C for method 'barlowtwins'" in capsys.readouterr().err
    scratch = [a for a in barlow if a not in ('--checkpoint', str(toy_checkpoint_path(toy_checkpoints,
                                                                                      'barlowtwins')))]
    assert _tool('linear_probe')(scratch + ['--from-scratch', '--out', str(tmp_path / 'p.json'), '--paper-c']) == 2
    assert '--from-scratch' in capsys.readouterr().err
    assert not (tmp_path / 'p.json').exists()


def test_linear_probe_on_voc_uses_11_point_map(toy_cls, toy_ckpt, tmp_path):
    out = tmp_path / 'voc.json'
    args = _common(toy_cls, toy_ckpt, tmp_path / 'cache', 'voc2007') + [
        '--out', str(out), '--grid-size', '5', '--max-iter', '100']
    assert _tool('linear_probe')(args) == 0
    result = read_result(out)
    assert result.primary_metric == 'voc11_map' and 0 < result.value <= 100
    assert 'ece' not in result.metrics


def test_fewshot_tool_writes_one_result_per_shot_and_reports_skips(toy_cls, toy_ckpt, tmp_path, capsys):
    args = _common(toy_cls, toy_ckpt, tmp_path / 'cache', 'eurosat') + [
        '--out-dir', str(tmp_path / 'fs'), '--shots', '5', '20', '--episodes', '50']
    assert _tool('fewshot')(args) == 0
    (path,) = sorted((tmp_path / 'fs').glob('*.json'))
    result = read_result(path)
    assert result.protocol == '5way-5shot' and result.task == 'fewshot' and result.value > 20.0
    assert result.ci['accuracy'] > 0 and result.hparams['episodes'] == 50
    assert '20-shot skipped' in capsys.readouterr().out


def test_fewshot_tool_defaults_to_the_papers_protocol_and_records_the_linear_transform_as_a_variant(
        toy_cls, toy_ckpt, tmp_path):
    """The paper's few-shot transform (ssl-transfer datasets/few_shot_dataset.py L173: ['Scale', 'CenterCrop'];
    L158-159: Scale = Resize([int(224 * 1.15)] * 2) = 257 x 257, torchvision's default bilinear; L156-157:
    CenterCrop(224)) and settings (few_shot.py L220-224: -i 224, --n-way 5, --n-query 15, --iter-num 600) are the
    tool's defaults; --transform linear_eval (linear.py L274-279's transform) is a named variant."""
    common = [a for a in _common(toy_cls, toy_ckpt, tmp_path / 'cache', 'eurosat') if a not in ('--image-size', '32')]
    assert _tool('fewshot')(common + ['--out', str(tmp_path / 'paper.json'), '--shots', '5']) == 0
    paper = read_result(tmp_path / 'paper.json')
    assert paper.paper_protocol is True and paper.hparams['variant'] == 'paper'
    assert (paper.hparams['transform'], paper.hparams['image_size'], paper.hparams['stage']) == ('paper_fewshot',
                                                                                                 224, 4)
    assert (paper.hparams['n_way'], paper.hparams['n_query'], paper.hparams['episodes']) == (5, 15, 600)
    assert paper.extra['transform'] == dict(resize=257, crop=224, interpolation='bilinear', squash=True,
                                            dataset_resize=[['chestx', 256, 256]], stage=4)
    assert paper.extra['paper_episode_seed'] is None  # CD-FSL: the paper's eurosat.py seeds nothing
    assert _tool('fewshot')(common + ['--out', str(tmp_path / 'linear.json'), '--shots', '5',
                                      '--transform', 'linear_eval']) == 0
    variant = read_result(tmp_path / 'linear.json')
    assert variant.paper_protocol is False and variant.hparams['variant'] == 'transform=linear_eval'
    assert variant.extra['transform'] == dict(resize=224, crop=224, interpolation='bicubic', squash=False,
                                              dataset_resize=[], stage=4)
    from safetensors.torch import load_file
    paper_features, linear_features = (load_file(p)['features'] for p in sorted(
        (tmp_path / 'cache').rglob('*.safetensors'), key=lambda p: json.loads(p.with_suffix('.json').read_text())[
            'key']['transform']['resize'], reverse=True))  # two cache entries: 257 (paper), 224 (linear_eval)
    assert paper_features.shape == linear_features.shape and not paper_features.allclose(linear_features)


def test_fewshot_settings_other_than_the_papers_are_named_in_the_variant(toy_cls, toy_ckpt, tmp_path):
    args = _common(toy_cls, toy_ckpt, tmp_path / 'cache', 'dtd') + ['--out', str(tmp_path / 'r.json'), '--shots',
                                                                    '5', '--episodes', '50', '--queries', '10']
    assert _tool('fewshot')(args) == 0
    result = read_result(tmp_path / 'r.json')
    assert result.paper_protocol is False
    assert result.hparams['variant'] == 'image_size=32+n_query=10+n_episodes=50'
    assert result.extra['paper_episode_seed'] == 0  # few_shot_dataset.py L199-200: seed 0 for many-shot datasets
    assert result.extra['transform']['resize'] == 36  # int(32 * 1.15), the paper's rule at -i 32


def test_fewshot_pools_splits_and_skips_50_shot_on_flowers(toy_cls, toy_ckpt, tmp_path, capsys):
    args = _common(toy_cls, toy_ckpt, tmp_path / 'cache', 'flowers') + [
        '--out-dir', str(tmp_path / 'fs'), '--shots', '5', '50', '--episodes', '20']
    assert _tool('fewshot')(args) == 0
    (path,) = sorted((tmp_path / 'fs').glob('*.json'))
    assert read_result(path).extra['pool_size'] == 100  # train + val + test
    assert 'not part of the protocol' in capsys.readouterr().out


def test_extract_features_tool(toy_cls, toy_ckpt, tmp_path, capsys):
    args = _common(toy_cls, toy_ckpt, tmp_path / 'cache', 'dtd') + ['--splits', 'test']
    assert _tool('extract_features')(args) == 0
    assert 'dtd test: (25, 256) features' in capsys.readouterr().out


def test_bad_input_exits_2_naming_the_file_then_the_expected_layout(toy_cls, toy_ckpt, tmp_path, capsys):
    args = _common(toy_cls, toy_ckpt, tmp_path / 'cache', 'dtd') + ['--out', str(tmp_path / 'x.json')]
    args[args.index('--data-root') + 1] = str(tmp_path / 'missing')
    assert _tool('linear_probe')(args) == 2
    err = capsys.readouterr().err
    first, *detail = err.strip().splitlines()
    assert first == f'linear_probe.py: error: TransferDTD: {tmp_path / "missing"}: dataset folder not found'
    assert detail[0] == 'expected layout:' and TransferDTD.LAYOUT.strip() in err  # the whole text, not its head
    assert detail[-1] == ('check the folder (what is wrong, how to fix it): python tools/prepare_data.py dtd --check '
                          f'--root {tmp_path / "missing"}')
    args = _common(toy_cls, tmp_path / 'no.pth', tmp_path / 'cache', 'dtd') + ['--out', str(tmp_path / 'x')]
    assert _tool('linear_probe')(args) == 2
    err = capsys.readouterr().err.strip()  # --checkpoint also takes zoo names, so the line says it is neither
    assert err.startswith(f'linear_probe.py: error: {tmp_path / "no.pth"}: no such file, and not a zoo method name')
    assert len(err.splitlines()) == 1


def test_suite_style_invocation_with_out_and_work_dir(toy_cls, toy_ckpt, tmp_path):
    """The flags the suite passes to every probe (--checkpoint --method --dataset --data-root --seed --work-dir
    --out)."""
    args = _common(toy_cls, toy_ckpt, tmp_path / 'cache', 'eurosat') + [
        '--seed', '1', '--work-dir', str(tmp_path / 'wd'), '--out', str(tmp_path / 'r.json'), '--shots', '5',
        '--episodes', '20']
    assert _tool('fewshot')(args) == 0
    assert read_result(tmp_path / 'r.json').hparams['seed'] == 1
    assert (tmp_path / 'wd' / 'probe.log').exists()
    args[args.index('--shots') + 1] = '20'  # 20-shot: too few images per toy class -> exit 2
    assert _tool('fewshot')(args) == 2


def test_finetune_sweep_tool_with_dataset_flag(toy_cls, toy_ckpt, tmp_path, capsys):
    args = ['--dataset', 'dtd', '--checkpoint', str(toy_ckpt), '--method', 'mocov2', '--base-channels', '8',
            '--data-root', str(toy_cls / 'dtd'), '--work-dir', str(tmp_path / 'wd'), '--out', str(tmp_path / 'r.json'),
            '--lrs', '0.01', '--wds', '0', '--max-iters', '1', '--batch-size', '4', '--image-size', '32',
            '--workers', '0']
    assert _tool('finetune_sweep')(args) == 0
    result = read_result(tmp_path / 'r.json')
    assert result.task == 'finetune' and result.hparams['aug'] == 'rrc_flip' and result.hparams['wd'] == 0
    assert result.hparams['total_batch_size'] == 4 and result.paper_protocol is False
    assert read_result(tmp_path / 'wd' / 'result.json').metrics == result.metrics
    args[args.index('--data-root') + 1] = str(tmp_path / 'nowhere')
    args[args.index('--work-dir') + 1] = str(tmp_path / 'wd2')
    assert _tool('finetune_sweep')(args) == 2
    assert 'dataset folder not found' in capsys.readouterr().err


@pytest.mark.parametrize('flags, variant, grid', [
    ([], 'paper', 20),
    (['--no-da'], 'augmentation=center_crop', 20),  # the paper's own flag, off by default (finetune.py L501)
    (['--search-augmentation'], 'search_augmentation=True', 40),
    (['--head-init', 'normal'], 'head_init=normal', 20),
])
def test_finetune_sweep_tool_flags_name_their_variant(flags, variant, grid, tmp_path, monkeypatch):
    """Without flags the tool runs the paper's finetune.py protocol (grid L519-521, augmentation fixed on,
    head init L108, 5000 steps L500, total batch 64 L496); each flag makes a record with paper_protocol false.
    Training is replaced by a stand-in that reads the knobs off each point's config."""
    from mmssl_transfer.probes import finetune
    seen = []

    def fake_run_point(cfg, final):
        seen.append(cfg)
        batch = cfg.train_dataloader.batch_size
        return {'metrics': {'top1': 50.0 + cfg.optim_wrapper.optimizer.lr}, 'method': 'byol', 'sha256': '',
                'training': {'batch_per_process': batch, 'world_size': 1, 'accumulative_counts': 1,
                             'total_batch_size': batch, 'steps': cfg.train_cfg.max_iters}}
    monkeypatch.setattr(finetune, 'run_point', fake_run_point)
    args = ['--dataset', 'dtd', '--from-scratch', '--work-dir', str(tmp_path), '--out', str(tmp_path / 'r.json')]
    assert _tool('finetune_sweep')(args + flags) == 0
    result = read_result(tmp_path / 'r.json')
    assert result.hparams['variant'] == variant and result.paper_protocol is (variant == 'paper')
    assert len(seen) == grid + 1 and len(result.extra['val_grid']) == grid  # + the train+val retrain
    assert {c.train_dataloader.batch_size for c in seen} == {64} and {c.train_cfg.max_iters for c in seen} == {5000}


def test_fewshot_from_scratch_seed_seeds_the_random_network_as_the_linear_probe_does(toy_cls, tmp_path):
    """--seed picks the random initialisation of --from-scratch in every probe (it used to stay 0 in few-shot)."""
    cache = tmp_path / 'cache'
    for seed in (0, 1):
        args = ['--from-scratch', '--base-channels', '8', '--dataset', 'eurosat', '--data-root',
                str(toy_cls / 'eurosat'), '--cache-dir', str(cache), '--image-size', '32', '--workers', '0',
                '--device', 'cpu', '--seed', str(seed), '--shots', '5', '--episodes', '20',
                '--out', str(tmp_path / f'scratch{seed}.json')]
        assert _tool('fewshot')(args) == 0
        assert read_result(tmp_path / f'scratch{seed}.json').hparams['seed'] == seed
    keys = [json.loads(p.read_text())['key']['checkpoint_sha256'] for p in sorted(cache.rglob('random-*.json'))]
    assert sorted(keys) == ['random-init-seed0', 'random-init-seed1']


def test_result_records_say_whether_they_followed_the_papers_code(tmp_path):
    import json

    from mmssl_transfer.results import ResultError, TransferResult, write_result
    record = TransferResult(task='linear', dataset='dtd', protocol='paper', method='byol', checkpoint_sha256='',
                            metrics={'top1': 50.0}, primary_metric='top1', paper_protocol=True)
    write_result(tmp_path / 'r.json', record)
    assert read_result(tmp_path / 'r.json').paper_protocol is True
    data = json.loads((tmp_path / 'r.json').read_text())
    del data['paper_protocol']  # a record written before the field existed
    (tmp_path / 'old.json').write_text(json.dumps(data))
    assert read_result(tmp_path / 'old.json').paper_protocol is None
    (tmp_path / 'bad.json').write_text(json.dumps({**data, 'paper_protocol': 'yes'}))
    with pytest.raises(ResultError, match=r'bad.json: paper_protocol must be true, false or null'):
        read_result(tmp_path / 'bad.json')
