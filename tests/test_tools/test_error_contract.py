"""One error contract for every case a new user hit: exit status 2 and ``<tool>: error: <file>: <what>``.

Each case runs the real tool as a process (all started together, so their start-ups overlap), including
tools/dist_train.sh on 2 processes, where the failing rank's message must be the last thing printed.
"""
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mmssl_transfer.errors import EXIT_BAD_INPUT

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'configs'
DET = CONFIGS / 'det' / 'byol_frozen_voc.py'
NO_CHECKPOINT = ['--cfg-options', 'model.backbone.checkpoint=None']
CHECK = 'check the folder (what is wrong, how to fix it): python tools/prepare_data.py {name} --check --root {root}'


class RunsShell:
    """Unpickling this runs a shell command (the malicious-checkpoint case)."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self):
        return os.system, (f'touch {self.sentinel}',)


def write_files(tmp: Path) -> dict:
    """The user's files of the cases: a config with a misspelt key, a truncated and a malicious checkpoint."""
    backbone = tmp / 'mynet.py'
    backbone.write_text("ssl_backbone = dict(method='auto', checkpont='/w/my_ssl_r50.pth')\n"
                        'ssl_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])\n')
    typo = tmp / 'mynet_typo_frozen_voc.py'
    typo.write_text(f"_base_ = ['{CONFIGS}/_base_/det/faster-rcnn_r50_fpn_voc0712_frozen.py', '{backbone}']\n"
                    'model = dict(backbone={{_base_.ssl_backbone}}, data_preprocessor={{_base_.ssl_preprocessor}})\n')
    whole = tmp / 'whole.pth'
    torch.save({'state_dict': {'backbone.conv1.weight': torch.zeros(8, 3, 7, 7)}, 'meta': {'iter': 4}}, whole)
    truncated = tmp / 'iter_trunc.pth'
    truncated.write_bytes(whole.read_bytes()[:300])
    evil = tmp / 'evil.pth'
    torch.save({'state_dict': {}, 'hook': RunsShell(tmp / 'pwned')}, evil)
    evil_plain = tmp / 'evil_plain.pth'
    evil_plain.write_bytes(pickle.dumps({'x': RunsShell(tmp / 'pwned')}, protocol=4))
    return dict(backbone=backbone, typo=typo, truncated=truncated, evil=evil, evil_plain=evil_plain,
                missing=tmp / 'no_such_data')


def cases(files: dict) -> dict:
    """name -> (command, what the message must say: {'first': prefix of the first line, 'last': the last line,
    'has': texts somewhere, 'not': texts nowhere})."""
    py, tools, missing = sys.executable, REPO / 'tools', files['missing']
    return {
        'config key typo': (
            [py, tools / 'train.py', files['typo'], '--data-root', missing],
            dict(first=f"train.py: error: {files['backbone']}:1: unknown config key 'checkpont' at "
                       'model.backbone.checkpont', has=["did you mean 'checkpoint'?", str(files['typo'])])),
        'cfg-options key typo': (
            [py, tools / 'train.py', DET, '--data-root', missing, '--cfg-options', 'train_cfg.max_iter=4',
             'model.backbone.checkpoint=None'],
            dict(first=f"train.py: error: {DET}: --cfg-options train_cfg.max_iter: unknown config key 'max_iter'",
                 has=["did you mean 'max_iters'?"])),
        'truncated trained checkpoint': (
            [py, tools / 'test.py', DET, files['truncated'], '--data-root', missing, *NO_CHECKPOINT],
            dict(first=f"test.py: error: {files['truncated']}: truncated or corrupt file", not_=['weights_only'])),
        'malicious trained checkpoint': (
            [py, tools / 'test.py', DET, files['evil'], '--data-root', missing, *NO_CHECKPOINT],
            dict(first=f"test.py: error: {files['evil']}: refused to load: the pickle inside needs 'posix.system'",
                 not_=['weights_only=False', 'Re-running torch.load'])),
        'malicious plain pickle': (
            [py, tools / 'convert_checkpoint.py', files['evil_plain'], files['missing'] / 'out.pth'],
            dict(first=f"convert_checkpoint.py: error: {files['evil_plain']}: refused to load: a plain Python "
                       'pickle (pickle opcode FRAME)', not_=["'149'"])),
        'VOC layout': (
            [py, tools / 'train.py', DET, '--data-root', missing, *NO_CHECKPOINT],
            dict(first=f'train.py: error: {missing}: VOC data root not found',
                 last=CHECK.format(name='voc0712', root=missing))),
        'ADE20K layout': (
            [py, tools / 'train.py', CONFIGS / 'seg' / 'byol_upernet_ade20k.py', '--data-root', missing,
             *NO_CHECKPOINT],
            dict(first=f'train.py: error: {missing}', last=CHECK.format(name='ade20k', root=missing))),
        'NYUv2 layout': (
            [py, tools / 'train.py', CONFIGS / 'normals' / 'byol_pspnet_nyuv2.py', '--data-root', missing,
             *NO_CHECKPOINT],
            dict(first=f'train.py: error: {missing}', last=CHECK.format(name='nyuv2', root=missing))),
        'VOC layout, 2 processes': (
            ['bash', tools / 'dist_train.sh', DET, '2', '--data-root', missing, *NO_CHECKPOINT],
            dict(last=CHECK.format(name='voc0712', root=missing),
                 final_message=f'train.py: error: rank 0 of 2: {missing}: VOC data root not found')),
    }


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('contract')
    files = write_files(tmp)
    env = {**os.environ, 'PYTHONPATH': str(REPO), 'OMP_NUM_THREADS': '1', 'PYTHON': sys.executable}
    table = cases(files)
    started = {name: subprocess.Popen([str(a) for a in command], cwd=tmp, env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for name, (command, _) in table.items()}
    done = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=600)
        done[name] = (process.returncode, stdout, stderr, table[name][1])
    return tmp, done


CASE_NAMES = list(cases({k: Path(k) for k in ('backbone', 'typo', 'truncated', 'evil', 'evil_plain', 'missing')}))


@pytest.mark.parametrize('case', CASE_NAMES)
def test_every_case_exits_2_with_one_message(runs, case):
    tmp, done = runs
    status, stdout, stderr, want = done[case]
    assert status == EXIT_BAD_INPUT, stderr[-3000:]
    lines = stderr.rstrip().splitlines()
    if 'final_message' in want:  # torchrun's report comes first; the failing rank's message ends the output
        start = max(i for i, line in enumerate(lines) if line.startswith('train.py: error: rank '))
        assert lines[start].startswith(want['final_message'].rsplit('rank 0', 1)[0]), stderr[-3000:]
        assert want['final_message'].split(': ', 3)[-1] in lines[start], lines[start]
        assert not any('Traceback' in line or 'ChildFailedError' in line for line in lines[start:])
    else:  # the message's first line (library warnings may come before it) starts the rest of the output
        assert 'Traceback' not in stderr, stderr[-3000:]
        start = next(i for i, line in enumerate(lines) if ': error: ' in line)
        assert lines[start].startswith(want['first']), stderr[-3000:]
        assert not any(': error: ' in line for line in lines[start + 1:]), stderr[-3000:]
    if 'last' in want:
        assert lines[-1] == want['last'], stderr[-3000:]
    for text in want.get('has', ()):
        assert text in stderr, stderr[-3000:]
    for text in want.get('not_', ()):
        assert text not in stderr + stdout, stderr[-3000:]
    assert not (tmp / 'pwned').exists()
