"""ViT detection end to end on CPU (issue 26): the generated configs of a patch-16 row (DINO ViT-S/16, frozen) and a
patch-14 row (DINOv2 ViT-S/14 with registers, finetuned) train through tools/train.py and test through
tools/test.py with the toy ViT files and ``--variant toy-vit``; frozen leaves every ViT tensor as the file has it,
finetune trains the ViT with layer-wise lr decay; the records name the ViT variant, never the paper's protocol."""
import pytest
import torch

from mmssl_transfer import compat
from mmssl_transfer.checkpoints import convert
from mmssl_transfer.results import read_result
from mmssl_transfer.toy.vit_checkpoints import make_toy_vit_checkpoints, toy_vit_checkpoint_path

from .conftest import REPO
from .test_det_end_to_end import load_runner_checkpoint, ok, run, tool_command

RUNS = {'frozen': 'dino_vits16', 'finetune': 'dinov2_vits14_reg4'}
compat.apply()  # the Runner's weights-only checkpoint reading (mmengine's HistoryBuffer allowed)


@pytest.fixture(scope='module')
def vit_files(tmp_path_factory):
    folder = make_toy_vit_checkpoints(tmp_path_factory.mktemp('vit'), seed=1, rows=list(RUNS.values()))
    return {row: toy_vit_checkpoint_path(folder, row) for row in RUNS.values()}


@pytest.fixture(scope='module', params=sorted(RUNS))
def vit_run(request, tmp_path_factory, toy_voc, vit_files):
    """(protocol, row, work dir, result) of a train + test run of the row's generated config."""
    protocol, row = request.param, RUNS[request.param]
    config = REPO / 'configs' / 'det' / f'{row}_{protocol}_voc.py'
    work = tmp_path_factory.mktemp(f'vit_{protocol}')
    common = ['--variant', 'toy-vit', '--data-root', toy_voc, '--work-dir', work]
    ok(run(tool_command('train.py', config, '--checkpoint', vit_files[row], *common), timeout=600))
    proc = ok(run(tool_command('test.py', config, work / 'iter_4.pth', *common,
                               '--cfg-options', f'model.backbone.checkpoint={vit_files[row]}'), timeout=600))
    assert f'det/voc0712/{protocol} {row}: AP=' in proc.stdout
    return protocol, row, work, read_result(work / 'result.json')


def test_the_record_names_the_vit_variant_and_never_the_paper(vit_run, vit_files):
    protocol, row, _, result = vit_run
    assert (result.task, result.protocol, result.method) == ('det', protocol, row)
    assert result.hparams['variant'] == f'vitdet-{protocol}+toy-vit' and result.paper_protocol is False
    assert result.checkpoint_sha256 == convert(vit_files[row], method=row).report.sha256
    assert set(result.metrics) == {'AP', 'AP50', 'AP75'}


def test_frozen_keeps_every_vit_tensor_and_finetune_trains_with_layer_decay(vit_run, vit_files):
    protocol, row, work, _ = vit_run
    checkpoint = load_runner_checkpoint(work / 'iter_4.pth')
    trained = {k[len('backbone.'):]: v for k, v in checkpoint['state_dict'].items() if k.startswith('backbone.')}
    pretrained = convert(vit_files[row], method=row).state_dict
    assert set(pretrained) <= set(trained)
    changed = {k for k, v in pretrained.items() if not torch.equal(trained[k], v)}
    if protocol == 'frozen':  # blocks, LayerNorms (no drift), embeddings and final norm as in the file
        assert not changed
        assert not any(k.endswith('rel_pos_h') for k in trained)
        return
    assert 'layers.0.attn.qkv.weight' in changed and 'ln1.weight' in changed  # the ViT trains
    assert 'cls_token' not in changed and 'register_tokens' not in changed  # unused by ViTDet's recipe: frozen
    assert {'layers.0.attn.rel_pos_h', 'layers.1.attn.rel_pos_w'} <= set(trained) - set(pretrained)
    groups = checkpoint['optimizer']['param_groups']
    scales = sorted({round(g['lr_scale'], 6) for g in groups})
    assert scales == [round(0.7 ** k, 6) for k in (3, 2, 1, 0)]  # depth 0 (embeddings) .. 3 (final norm, heads)
