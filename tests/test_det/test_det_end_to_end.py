"""Detection transfer end to end on CPU: tools/train.py, tools/test.py, --resume and dist_train.sh on toy data.

Frozen and finetune configs train a few iterations of the (shrunken) real configs on the toy VOC tree from the
toy BYOL checkpoint; the test tool writes a TransferResult with AP, AP50 and AP75.
"""
import json
import os
import runpy
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mmssl_transfer.results import read_result

from .conftest import REPO, tool_command

ENV = {**os.environ, 'PYTHONPATH': str(REPO), 'OMP_NUM_THREADS': '1'}


def run(cmd, timeout=300):
    proc = subprocess.run(cmd, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=timeout)
    return proc


def ok(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def logged_iters(work_dir: Path) -> list[int]:
    """Iterations logged by the newest run in a work dir (mmengine's vis_data/scalars.json)."""
    newest = sorted(work_dir.glob('*/vis_data/scalars.json'))[-1]
    return [json.loads(line)['iter'] for line in newest.read_text().splitlines() if 'loss' in line]


def load_runner_checkpoint(path: Path) -> dict:
    """A Runner checkpoint, read as the Runner reads it (weights_only with mmengine's own types allowed)."""
    from mmengine.runner import CheckpointLoader
    return CheckpointLoader.load_checkpoint(str(path), map_location='cpu')


def backbone_weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    state = load_runner_checkpoint(checkpoint)['state_dict']
    return {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}


@pytest.fixture(scope='module')
def frozen_run(tmp_path_factory, toy_det_configs, toy_voc, byol_toy_checkpoint):
    """tools/train.py on the frozen config for 4 iterations; returns the work dir."""
    work_dir = tmp_path_factory.mktemp('frozen')
    ok(run(tool_command('train.py', toy_det_configs['frozen'], '--work-dir', work_dir, '--data-root', toy_voc,
                        '--checkpoint', byol_toy_checkpoint)))
    return work_dir


def test_frozen_training_saves_checkpoint_with_backbone_provenance(frozen_run, byol_toy_checkpoint):
    from mmssl_transfer.checkpoints import convert
    checkpoint = load_runner_checkpoint(frozen_run / 'iter_4.pth')
    assert checkpoint['meta']['iter'] == 4
    report = convert(byol_toy_checkpoint, method='byol').report
    assert checkpoint['meta']['ssl_backbone'] == {'method': 'byol', 'sha256': report.sha256}
    assert logged_iters(frozen_run) == [1, 2, 3, 4]


def test_frozen_protocol_trains_only_stage4_and_keeps_bn_statistics(frozen_run, byol_toy_checkpoint):
    from mmssl_transfer.checkpoints import convert
    pretrained = convert(byol_toy_checkpoint, method='byol').state_dict
    trained = backbone_weights(frozen_run / 'iter_4.pth')
    for name in ('conv1.weight', 'layer1.0.conv1.weight', 'layer3.5.conv3.weight', 'layer4.0.bn1.running_mean'):
        assert torch.equal(trained[name], pretrained[name]), name
    assert not torch.equal(trained['layer4.2.conv3.weight'], pretrained['layer4.2.conv3.weight'])


def test_test_tool_writes_result_json_with_ap_ap50_ap75(frozen_run, toy_det_configs, toy_voc, tmp_path):
    preds = tmp_path / 'preds.pkl'
    proc = ok(run(tool_command('test.py', toy_det_configs['frozen'], frozen_run / 'iter_4.pth',
                               '--work-dir', tmp_path, '--data-root', toy_voc, '--out', preds)))
    result = read_result(tmp_path / 'result.json')
    assert set(result.metrics) == {'AP', 'AP50', 'AP75'}
    assert all(0.0 <= v <= 100.0 for v in result.metrics.values())
    assert (result.task, result.dataset, result.protocol, result.primary_metric) == ('det', 'voc0712', 'frozen', 'AP')
    meta = load_runner_checkpoint(frozen_run / 'iter_4.pth')['meta']['ssl_backbone']
    assert (result.method, result.checkpoint_sha256) == ('byol', meta['sha256'])
    assert result.hparams['frozen_stages'] == 3
    assert preds.stat().st_size > 0
    assert 'det/voc0712/frozen byol: AP=' in proc.stdout


def test_resume_continues_from_the_saved_iteration(frozen_run, toy_det_configs, toy_voc, byol_toy_checkpoint):
    ok(run(tool_command('train.py', toy_det_configs['frozen'], '--work-dir', frozen_run, '--data-root', toy_voc,
                        '--checkpoint', byol_toy_checkpoint, '--resume',
                        '--cfg-options', 'train_cfg.max_iters=6')))
    assert logged_iters(frozen_run) == [5, 6]
    assert load_runner_checkpoint(frozen_run / 'iter_6.pth')['meta']['iter'] == 6


@pytest.fixture(scope='module')
def finetune_run(tmp_path_factory, toy_det_configs, toy_voc, byol_toy_checkpoint):
    """The finetune config trained in-process (the package API behind tools/train.py) for 16 iterations."""
    from mmssl_transfer.apis import load_config, train
    work_dir = tmp_path_factory.mktemp('finetune')
    iters = 16
    cfg = load_config(str(toy_det_configs['finetune']), work_dir=str(work_dir), data_root=str(toy_voc),
                      checkpoint=str(byol_toy_checkpoint),
                      cfg_options={'train_cfg.max_iters': iters, 'default_hooks.checkpoint.interval': iters,
                                   'param_scheduler.1.end': iters, 'randomness.seed': 0})
    runner = train(cfg)
    losses = [float(v) for v in runner.message_hub.get_scalar('train/loss').data[0]]
    return work_dir / f'iter_{iters}.pth', losses


def test_finetune_protocol_trains_every_stage_but_not_bn(finetune_run, byol_toy_checkpoint):
    from mmssl_transfer.checkpoints import convert
    pretrained = convert(byol_toy_checkpoint, method='byol').state_dict
    trained = backbone_weights(finetune_run[0])
    for name in ('conv1.weight', 'layer1.0.conv1.weight', 'layer4.2.conv3.weight'):
        assert not torch.equal(trained[name], pretrained[name]), name
    for name in ('bn1.weight', 'bn1.running_var', 'layer1.0.bn2.bias', 'layer2.0.downsample.1.running_mean'):
        assert torch.equal(trained[name], pretrained[name]), name


def test_loss_visibly_decreases_over_a_short_run(finetune_run):
    losses = finetune_run[1]
    assert len(losses) == 16
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.7 * first, losses


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_dist_train_runs_two_cpu_processes(toy_det_configs, toy_voc, byol_toy_checkpoint, tmp_path):
    env = {**ENV, 'PYTHON': sys.executable, 'PORT': str(_free_port())}
    proc = subprocess.run(
        [str(REPO / 'tools' / 'dist_train.sh'), str(toy_det_configs['frozen']), '2', '--work-dir', str(tmp_path),
         '--data-root', str(toy_voc), '--checkpoint', str(byol_toy_checkpoint),
         '--cfg-options', 'train_cfg.max_iters=2'],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    ok(proc)
    assert (tmp_path / 'iter_2.pth').is_file()
    log = sorted(tmp_path.glob('*/*.log'))[-1].read_text()
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log or 'World size: 2' in log, log[:3000]


def tool_main(tool: str):
    """The ``main(argv)`` of a tools/ script, loaded in-process (cheaper than a subprocess)."""
    return runpy.run_path(str(REPO / 'tools' / tool), run_name='tool_under_test')['main']


def test_bad_data_root_exits_2_with_one_line_naming_it(toy_det_configs, tmp_path, capsys):
    missing = tmp_path / 'no' / 'VOCdevkit'
    code = tool_main('train.py')([str(toy_det_configs['frozen']), '--work-dir', str(tmp_path),
                                  '--data-root', str(missing)])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-2].startswith('train.py: error:') and f'{missing}: VOC data root not found' in err[-2]
    assert err[-1] == ('check the folder (what is wrong, how to fix it): '
                       f'python tools/prepare_data.py voc0712 --check --root {missing}')


def test_missing_model_checkpoint_exits_2(toy_det_configs, tmp_path, capsys):
    code = tool_main('test.py')([str(toy_det_configs['frozen']), str(tmp_path / 'iter_9.pth')])
    assert code == 2
    assert capsys.readouterr().err.strip() == f'test.py: error: {tmp_path / "iter_9.pth"}: model checkpoint not found'
