"""The new-backbone workflow on the toy world: the user's own two config files, ``--variant toy`` and
``--method``, train and test end to end with no other option; the record says 'toy', never the paper's."""
import subprocess

from mmssl_transfer.results import read_result

from .conftest import REPO, tool_command
from .test_det_end_to_end import ENV


def test_users_config_trains_and_tests_with_the_toy_variant(tmp_path, toy_voc, byol_toy_checkpoint):
    backbone = tmp_path / 'mynet.py'
    backbone.write_text(f"ssl_backbone = dict(method='auto', checkpoint='{byol_toy_checkpoint}')\n"
                        'ssl_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])\n')
    config = tmp_path / 'mynet_frozen_voc.py'
    config.write_text(f"_base_ = ['{REPO}/configs/_base_/det/faster-rcnn_r50_fpn_voc0712_frozen.py', '{backbone}']\n"
                      'model = dict(backbone={{_base_.ssl_backbone}}, data_preprocessor={{_base_.ssl_preprocessor}})\n')
    work = tmp_path / 'work'
    common = ['--variant', 'toy', '--data-root', toy_voc, '--method', 'byol', '--work-dir', work]
    for command in (tool_command('train.py', config, *common),
                    tool_command('test.py', config, work / 'iter_4.pth', *common)):
        proc = subprocess.run(command, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    result = read_result(work / 'result.json')
    assert (result.task, result.protocol, result.method) == ('det', 'frozen', 'byol')
    assert result.hparams['variant'] == 'toy' and result.paper_protocol is False
    assert result.hparams['max_iters'] == 4 and result.hparams['total_batch_size'] == 2
