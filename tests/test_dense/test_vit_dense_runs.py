"""The ViT dense tasks end to end on CPU (issue 26): the generated configs of a patch-16 and a patch-14 ViT row
train and test on the toy ADE20K / NYUv2 through ``--variant toy`` with the toy ViT files of
``tools/make_toy_data.py`` (the release layouts); finetuned means the ViT trains, frozen means no ViT tensor moves;
every record names the ViT base's variant and is never the paper's protocol."""
from pathlib import Path

import pytest
import torch

from mmssl_transfer import apis
from mmssl_transfer.apis import load_config
from mmssl_transfer.checkpoints import convert
from mmssl_transfer.results import read_result

from .conftest import REPO

ROWS = ('dino_vits16', 'dinov2_vits14')  # patch 16 and patch 14


@pytest.fixture(scope='module')
def toy_vits(tmp_path_factory) -> dict[str, Path]:
    from mmssl_transfer.toy.vit_checkpoints import make_toy_vit_checkpoints, toy_vit_checkpoint_path
    folder = make_toy_vit_checkpoints(tmp_path_factory.mktemp('vit'), rows=ROWS)
    return {row: Path(toy_vit_checkpoint_path(folder, row)) for row in ROWS}


def _train_test(config: str, work: Path, data_root: Path, checkpoint: Path, variants=('toy',), **cfg_options):
    """Train the config under ``variants`` with ``cfg_options``, test its last checkpoint; the record and the
    trained state."""
    common = dict(data_root=str(data_root), checkpoint=str(checkpoint), variants=list(variants),
                  cfg_options=cfg_options or None)
    apis.train(load_config(config, work_dir=str(work), **common))
    last = sorted(work.glob('iter_*.pth'))[-1]
    apis.test(load_config(config, work_dir=str(work / 'test'), load_from=str(last), **common))
    state = torch.load(last, map_location='cpu', weights_only=False)['state_dict']
    return read_result(work / 'test' / 'result.json'), state


def _backbone(state: dict) -> dict[str, torch.Tensor]:
    return {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}


def test_ade20k_upernet_finetunes_the_vit_with_layer_decay(tmp_path, toy_ade20k, toy_vits):
    row = 'dino_vits16'
    config = str(REPO / 'configs' / 'seg' / f'{row}_upernet_ade20k.py')
    result, state = _train_test(config, tmp_path, toy_ade20k, toy_vits[row], **{'train_cfg.max_iters': 2})
    pretrained = convert(toy_vits[row], method=row).state_dict
    trained = _backbone(state)
    assert set(trained) == set(pretrained)
    assert not torch.equal(trained['layers.1.attn.qkv.weight'], pretrained['layers.1.attn.qkv.weight'])
    assert state['decode_head.conv_seg.weight'].shape[:2] == (150, 16) and 'neck.upsample_4x.0.weight' in state
    assert (result.task, result.protocol, result.method) == ('seg', 'finetune', row)
    assert {'mIoU', 'aAcc', 'mAcc'} <= set(result.metrics) and result.paper_protocol is False
    # the ViT base's named variant, the toy one, and the shortened schedule: nothing else differs from the base
    assert result.hparams['variant'] == 'vit-upernet-mae+toy+cfg:train_cfg.max_iters=2'


@pytest.mark.parametrize('task, config, row', [
    ('normals', 'configs/normals/{row}_pspnet_nyuv2.py', 'dinov2_vits14'),
    ('depth', 'configs/depth/{row}_pspnet_nyuv2_depth.py', 'dinov2_vits14'),
    ('depth', 'configs/depth/{row}_pspnet_nyuv2_depth.py', 'dino_vits16'),
])
def test_nyuv2_tasks_train_their_head_on_a_frozen_vit(task, config, row, tmp_path, toy_vits, toy_nyuv2):
    extra = {'val_evaluator.crop_type': None, 'test_evaluator.crop_type': None} if task == 'depth' else {}
    result, state = _train_test(str(REPO / config.format(row=row)), tmp_path, toy_nyuv2, toy_vits[row],
                                **{'train_cfg.max_iters': 2}, **extra)
    pretrained = convert(toy_vits[row], method=row).state_dict
    trained = _backbone(state)
    # frozen = frozen: every ViT tensor (LayerNorms, LayerScale, position embedding included) is the file's
    assert set(trained) == set(pretrained)
    assert all(torch.equal(trained[k], pretrained[k]) for k in pretrained)
    assert state['decode_head.conv_seg.weight'].shape[1] == 16
    assert (result.task, result.method, result.paper_protocol) == (task, row, False)
    assert result.hparams['variant'].startswith('vit-frozen-blocks+toy+cfg:train_cfg.max_iters=2')
    assert result.metrics


def test_dinov2_linear_variant_trains_only_batchnorm_and_the_classifier(tmp_path, toy_ade20k, toy_vits):
    row = 'dinov2_vits14'
    config = str(REPO / 'configs' / 'seg' / f'{row}_upernet_ade20k.py')
    result, state = _train_test(config, tmp_path, toy_ade20k, toy_vits[row], variants=('dinov2-linear', 'toy'),
                                **{'train_cfg.max_iters': 2})
    pretrained = convert(toy_vits[row], method=row).state_dict
    assert all(torch.equal(_backbone(state)[k], pretrained[k]) for k in pretrained)
    head = {k for k in state if k.startswith('decode_head.')}
    assert head >= {'decode_head.bn.weight', 'decode_head.bn.running_mean', 'decode_head.conv_seg.weight'}
    assert not any(k.startswith(('neck.', 'auxiliary_head.')) for k in state)
    assert state['decode_head.conv_seg.weight'].shape == (150, 24, 1, 1)  # the last block's 24 channels
    assert result.hparams['variant'] == 'vit-upernet-mae+dinov2-linear+toy+cfg:train_cfg.max_iters=2'
