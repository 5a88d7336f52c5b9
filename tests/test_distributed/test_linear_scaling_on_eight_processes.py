"""The mission's command, ``tools/dist_train.sh configs/det/<method>_frozen_voc.py 8``, on the toy world (CPU, gloo).

The paper's detection protocol has a total batch of 2: 8 processes train it linearly scaled by 4 (total 8, one toy
image per process; the shrunken config's 4 iterations become 1), say so once, and the model is recorded as
``linear-scaling-x4`` (beside the toy shrink's ``cfg:`` component) with the scaled numbers by a test run that
names no variant (tools/test.py in this process: the record comes from the checkpoint's meta whatever the number
of test processes, and another 3 to 8 process start-ups would double the test's time).
``--paper-only`` refuses with one line and exit 2, without torchrun's traceback. Width-8 toy network, 160x128
images, one iteration: the cost is the processes' start-up (torch and mmdet imports).
"""
import os
import runpy
import subprocess
import sys
from pathlib import Path

import torch

from mmssl_transfer.results import read_result, split_variant

from .conftest import REPO, Timer, free_port, ok, tool_env

DIST_TRAIN = REPO / 'tools' / 'dist_train.sh'


def _det_config(out: Path) -> Path:
    from tests.test_det.conftest import shrink_det_config
    return shrink_det_config(REPO / 'configs/det/byol_frozen_voc.py', out / 'det.py', max_iters=4, warmup_iters=2)


def tool_main(tool: str):
    """The ``main(argv)`` of a tools/ script, loaded in this process."""
    return runpy.run_path(str(REPO / 'tools' / tool), run_name='tool_under_test')['main']


def _launch(script: Path, *args: str) -> subprocess.CompletedProcess:
    env = tool_env(PYTHON=sys.executable, PORT=str(free_port()))
    return subprocess.run([str(script), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def test_dist_train_on_8_processes_runs_the_det_schedule_linearly_scaled_and_records_it(tmp_path, toy_dist_world):
    config = _det_config(tmp_path)
    work = tmp_path / 'work'
    data = ['--data-root', str(toy_dist_world['voc'])]
    with Timer() as train_time:
        train = ok(_launch(DIST_TRAIN, str(config), '8', '--work-dir', str(work), *data,
                           '--checkpoint', str(toy_dist_world['checkpoints'] / 'byol.pkl')))
    notices = [line for line in train.stderr.splitlines() if 'linearly scaled by 4' in line]
    assert len(notices) == 1, train.stderr[-3000:]  # rank 0 alone
    assert 'recorded as variant linear-scaling-x4' in notices[0] and 'divides 2 (e.g. 1, 2' in notices[0]
    checkpoint = torch.load(work / 'iter_1.pth', map_location='cpu', weights_only=False)
    # the shrunken config's own changes are a cfg: component (apis.protocol_diff); the scaling is its named variant
    assert split_variant(checkpoint['meta']['transfer_variant'])[0] == ['linear-scaling-x4']
    assert checkpoint['meta']['batch_split'] == {'total_batch_size': 8, 'world_size': 8, 'batch_per_process': 1,
                                                 'accumulative_counts': 1, 'total_stated': True}
    assert checkpoint['meta']['linear_scaling']['factor'] == 4
    assert not (work / 'iter_2.pth').exists()  # 4 iterations / 4

    with Timer() as test_time:  # the test names no variant
        status = tool_main('test.py')([str(config), str(work / 'iter_1.pth'), '--work-dir', str(work / 'test'), *data])
    assert status == 0
    record = read_result(work / 'test' / 'result.json')
    names, changes = split_variant(record.hparams['variant'])
    assert record.paper_protocol is False and names == ['linear-scaling-x4'] and changes['train_cfg.max_iters'] == '4'
    assert record.hparams['variant'].startswith('linear-scaling-x4+cfg:')
    assert record.hparams['linear_scaling_factor'] == 4 and record.hparams['total_batch_size'] == 8
    assert record.hparams['lr'] == 0.01 and record.hparams['max_iters'] == 1 and record.hparams['world_size'] == 8
    print(f'dist_train.sh 8 processes: {train_time.seconds:.1f} s, test.py: {test_time.seconds:.1f} s')


def test_paper_only_refuses_once_with_exit_2_and_no_launcher_traceback(tmp_path, toy_dist_world):
    config = _det_config(tmp_path)
    proc = _launch(DIST_TRAIN, str(config), '3', '--paper-only', '--work-dir', str(tmp_path / 'work'),
                   '--data-root', str(toy_dist_world['voc']))
    assert proc.returncode == 2, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith('train.py: error:')]
    assert len(errors) == 1, proc.stderr[-3000:]
    assert ('cannot be split evenly over 3 processes (GPUs). Run it on a number of GPUs that divides 2 (e.g. 1, 2), '
            'or without --paper-only to train the schedule linearly scaled by 3') in errors[0]
    assert 'Traceback' not in proc.stderr and 'ChildFailedError' not in proc.stderr
    assert not os.path.exists(tmp_path / 'work' / 'iter_1.pth')
