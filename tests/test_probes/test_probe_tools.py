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
    return ['--checkpoint', str(ckpt), '--method', 'mocov2', '--base-channels', '8', '--dataset', dataset,
            '--data-root', str(toy_cls / dataset), '--cache-dir', str(cache), '--image-size', '32',
            '--workers', '0', '--device', 'cpu']


def test_linear_probe_tool_writes_a_result(toy_cls, toy_ckpt, tmp_path, capsys):
    out = tmp_path / 'linear.json'
    args = _common(toy_cls, toy_ckpt, tmp_path / 'cache', 'dtd') + [
        '--out', str(out), '--grid-size', '9', '--max-iter', '100']
    assert _tool('linear_probe')(args) == 0
    result = read_result(out)
    assert (result.task, result.dataset, result.protocol, result.method) == ('linear', 'dtd', 'linear', 'mocov2')
    assert result.primary_metric == 'top1' and result.value > 20.0  # 5 classes: chance is 20
    assert len(result.checkpoint_sha256) == 64
    assert result.hparams['C'] == pytest.approx(1 / result.hparams['wd'])
    assert {'ece', 'ece_temperature_scaled'} <= set(result.metrics)
    assert len(result.extra['val_curve']) == 9
    assert 'dtd linear top1' in capsys.readouterr().out


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
    args = _common(toy_cls, tmp_path / 'no.pth', tmp_path / 'cache', 'dtd') + ['--out', str(tmp_path / 'x')]
    assert _tool('linear_probe')(args) == 2
    assert capsys.readouterr().err.strip() == f'linear_probe.py: error: {tmp_path / "no.pth"}: no such file'


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
            '--lrs', '0.01', '--wds', '0', '--augs', 'rrc_flip', '--max-iters', '1', '--batch-size', '4',
            '--image-size', '32', '--workers', '0']
    assert _tool('finetune_sweep')(args) == 0
    result = read_result(tmp_path / 'r.json')
    assert result.task == 'finetune' and result.hparams['aug'] == 'rrc_flip' and result.hparams['wd'] == 0
    assert read_result(tmp_path / 'wd' / 'result.json').metrics == result.metrics
    args[args.index('--data-root') + 1] = str(tmp_path / 'nowhere')
    args[args.index('--work-dir') + 1] = str(tmp_path / 'wd2')
    assert _tool('finetune_sweep')(args) == 2
    assert 'dataset folder not found' in capsys.readouterr().err


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
