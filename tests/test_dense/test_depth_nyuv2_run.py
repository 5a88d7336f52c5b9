"""NYUv2 depth end to end on CPU: frozen dilated SSLResNet + DepthPSPHead, mmseg's DepthEstimator and DepthMetric.

The config is the generated per-method file's composition (the depth task base + the byol backbone file),
shrunk to the toy width; training runs two iterations from the toy checkpoint on the toy NYUv2 (which carries
depth maps in the preparation's 16-bit millimetre format) and testing writes mmseg's nine depth metrics.
"""
import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmssl_transfer import apis
from mmssl_transfer.apis import load_config
from mmssl_transfer.results import read_result

from .conftest import REPO, STAGE_WIDTHS, _shrink_common

DEPTH_METRICS = {'d1', 'd2', 'd3', 'abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'log10', 'silog'}


def depth_config(out, method: str = 'byol', max_iters: int = 2, **overrides):
    """The toy-sized copy of configs/depth/<method>_pspnet_nyuv2_depth.py (same two bases)."""
    source = out.with_name(f'{method}_depth_source.py')
    source.write_text(f"_base_ = ['{REPO}/configs/_base_/depth/pspnet_r50_nyuv2_depth.py', "
                      f"'{REPO}/configs/_base_/backbones/{method}.py']\n"
                      'model = dict(backbone={{_base_.ssl_backbone}})\n')
    cfg = Config.fromfile(str(source))
    cfg.merge_from_dict({'model.decode_head.in_channels': STAGE_WIDTHS[-1],
                         # the 48x64 toy images are smaller than the Eigen crop's 480x640 frame
                         'val_evaluator.crop_type': None, 'test_evaluator.crop_type': None, **overrides})
    _shrink_common(cfg, max_iters, scales=[(80, 40), (80, 48)])
    cfg.dump(str(out))
    return out


def toy_sized(cfg):
    """The variant's 224x224 resize at 32x32 and no loader workers, so the toy run stays seconds long."""
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(num_workers=0, persistent_workers=False)
        for step in cfg[loader].dataset.pipeline:
            if step['type'] == 'DepthResize':
                step['scale'] = (32, 32)
    return cfg


@pytest.fixture(scope='module')
def depth_run(tmp_path_factory, toy_nyuv2, byol_toy_checkpoint):
    work_dir = tmp_path_factory.mktemp('depth')
    config = depth_config(work_dir / 'toy_depth.py')
    apis.train(load_config(str(config), work_dir=str(work_dir), data_root=str(toy_nyuv2),
                           checkpoint=str(byol_toy_checkpoint)))
    return work_dir, config


def test_toy_depth_maps_are_millimetre_pngs_of_the_room(toy_nyuv2):
    depth = cv2.imread(str(toy_nyuv2 / 'depths' / 'train' / '000001.png'), cv2.IMREAD_UNCHANGED)
    mask = cv2.imread(str(toy_nyuv2 / 'masks' / 'train' / '000001.png'), cv2.IMREAD_UNCHANGED) > 0
    assert depth.dtype == np.uint16 and depth.shape == (48, 64)
    assert (depth[~mask] == 0).all() and 300 < depth[mask].min() and depth[mask].max() <= 5000


def test_training_updates_the_head_only_and_testing_writes_the_depth_metrics(
        depth_run, toy_nyuv2, byol_toy_checkpoint, tmp_path):
    from mmssl_transfer.checkpoints import convert
    work_dir, config = depth_run
    state = torch.load(work_dir / 'iter_2.pth', map_location='cpu', weights_only=False)['state_dict']
    for name, tensor in convert(byol_toy_checkpoint, method='byol').state_dict.items():
        assert torch.equal(state[f'backbone.{name}'], tensor), name
    assert state['decode_head.conv_seg.weight'].shape[0] == 1
    result = apis.test(load_config(str(config), work_dir=str(tmp_path), data_root=str(toy_nyuv2),
                                   load_from=str(work_dir / 'iter_2.pth')))
    assert read_result(tmp_path / 'result.json') == result
    assert (result.task, result.dataset, result.protocol) == ('depth', 'nyuv2', 'frozen')
    assert result.primary_metric == 'rmse'
    assert set(result.metrics) == DEPTH_METRICS
    # the head predicts (0, 10) m and the toy room is 0.3-5 m deep: errors of metres, not millimetres
    assert 0.0 < result.metrics['rmse'] < 10.0 and 0.0 <= result.metrics['d1'] <= 1.0
    # the shrunken config is not even the default protocol (normals-protocol): the record names what it changed
    assert result.hparams['variant'].startswith('cfg:') and result.paper_protocol is False
    assert 'model.backbone.base_channels=8' in result.hparams['variant']
    assert result.pretraining_data == 'imagenet-1k'  # the zoo row's


def test_virb_variant_trains_with_l1_at_224(tmp_path, toy_nyuv2, byol_toy_checkpoint):
    config = depth_config(tmp_path / 'toy_depth.py')
    cfg = load_config(str(config), work_dir=str(tmp_path), data_root=str(toy_nyuv2),
                      checkpoint=str(byol_toy_checkpoint), variants=['virb-224-l1'])
    assert cfg.model.decode_head.loss_decode == dict(type='DepthL1Loss')
    assert cfg.train_dataloader.dataset.pipeline[2]['scale'] == (224, 224)
    apis.train(toy_sized(cfg))
    cfg = load_config(str(config), work_dir=str(tmp_path / 'test'), data_root=str(toy_nyuv2),
                      load_from=str(tmp_path / 'iter_2.pth'), variants=['virb-224-l1'])
    cfg.transfer_task.pretraining_data = 'places365'  # a config states a backbone's pretraining data
    result = apis.test(toy_sized(cfg))
    assert result.hparams['variant'].startswith('virb-224-l1+cfg:') and set(result.metrics) == DEPTH_METRICS
    assert result.pretraining_data == 'places365'


def test_slide_test_mode_that_mmseg_ignores_is_refused():
    from mmseg.registry import MODELS

    import mmssl_transfer.models.segmentors  # noqa: F401
    cfg = Config.fromfile(str(REPO / 'configs/_base_/models/pspnet_ssl_r50_d8_depth.py')).model
    cfg.test_cfg = dict(mode='slide', crop_size=(64, 64), stride=(32, 32))
    with pytest.raises(ValueError, match="'slide'.*whole-image"):
        MODELS.build(cfg)


def test_toy_variant_trains_and_tests_the_committed_config(tmp_path, toy_nyuv2, byol_toy_checkpoint):
    """The demo suite's depth cell: the committed config with ``--variant toy`` and nothing else runs on the toy
    NYUv2 and is recorded as 'toy' (diffed with depth's default plus the toy fragment: no cfg: component)."""
    config = str(REPO / 'configs' / 'depth' / 'byol_pspnet_nyuv2_depth.py')
    apis.train(load_config(config, work_dir=str(tmp_path), data_root=str(toy_nyuv2),
                           checkpoint=str(byol_toy_checkpoint), variants=['toy']))
    result = apis.test(load_config(config, work_dir=str(tmp_path / 'test'), data_root=str(toy_nyuv2),
                                   checkpoint=str(byol_toy_checkpoint), load_from=str(tmp_path / 'iter_4.pth'),
                                   variants=['toy']))
    assert result.hparams['variant'] == 'toy' and result.paper_protocol is False
    assert set(result.metrics) == DEPTH_METRICS and result.hparams['max_iters'] == 4
