"""NYUv2 normals end to end on CPU: frozen dilated SSLResNet + PSP normals head, both target modes.

The (shrunken) byol config trains two iterations from the toy checkpoint; the cluster centres come from the
toy data folder through NormalClustersHook and are saved in the checkpoint; testing writes the angular-error
metrics to result.json.
"""
import numpy as np
import pytest
import torch

from mmssl_transfer import apis
from mmssl_transfer.apis import load_config
from mmssl_transfer.errors import InputError
from mmssl_transfer.results import read_result

from .conftest import REPO, shrink_normals_config

CONFIG = REPO / 'configs' / 'normals' / 'byol_pspnet_nyuv2.py'
ANGULAR_METRICS = {'mean', 'median', 'rmse', 'within_11.25', 'within_22.5', 'within_30'}


def run_mode(work_dir, toy_nyuv2, checkpoint, variants=(), **overrides):
    config = shrink_normals_config(CONFIG, work_dir / 'toy_normals.py', **overrides)
    apis.train(load_config(str(config), work_dir=str(work_dir), data_root=str(toy_nyuv2),
                           checkpoint=str(checkpoint), variants=variants))
    return config


@pytest.fixture(scope='module')
def clusters_run(tmp_path_factory, toy_nyuv2, byol_toy_checkpoint):
    work_dir = tmp_path_factory.mktemp('normals')
    return work_dir, run_mode(work_dir, toy_nyuv2, byol_toy_checkpoint)


def test_frozen_protocol_leaves_every_backbone_tensor_unchanged(clusters_run, byol_toy_checkpoint):
    from mmssl_transfer.checkpoints import convert
    work_dir, _ = clusters_run
    state = torch.load(work_dir / 'iter_2.pth', map_location='cpu', weights_only=False)['state_dict']
    pretrained = convert(byol_toy_checkpoint, method='byol').state_dict
    for name, tensor in pretrained.items():
        assert torch.equal(state[f'backbone.{name}'], tensor), name  # weights and BN statistics
    assert state['decode_head.conv_seg.weight'].shape[0] == 40


def test_checkpoint_carries_the_cluster_centres_of_the_data_folder(clusters_run, toy_nyuv2):
    work_dir, _ = clusters_run
    state = torch.load(work_dir / 'iter_2.pth', map_location='cpu', weights_only=False)['state_dict']
    np.testing.assert_allclose(state['decode_head.cluster_centres'].numpy(),
                               np.load(toy_nyuv2 / 'normal_clusters_k40.npy'), atol=1e-6)


def test_test_writes_angular_error_metrics_to_result_json(clusters_run, toy_nyuv2, tmp_path):
    work_dir, config = clusters_run
    apis.test(load_config(str(config), work_dir=str(tmp_path), data_root=str(toy_nyuv2),
                          load_from=str(work_dir / 'iter_2.pth')))
    result = read_result(tmp_path / 'result.json')
    assert (result.task, result.dataset, result.protocol, result.primary_metric) == (
        'normals', 'nyuv2', 'frozen', 'mean')
    assert set(result.metrics) == ANGULAR_METRICS
    assert 0.0 <= result.metrics['median'] <= 180.0 and 0.0 <= result.metrics['within_30'] <= 100.0
    assert result.method == 'byol'
    # the shrunken config is not the paper's protocol: the record names what it changed
    assert result.paper_protocol is False and result.hparams['variant'].startswith('cfg:')
    assert 'model.backbone.base_channels=8' in result.hparams['variant']
    assert result.hparams['total_batch_size'] == 2


def test_a_model_trained_with_a_variant_is_recorded_as_that_variant(tmp_path, toy_nyuv2, byol_toy_checkpoint):
    config = run_mode(tmp_path, toy_nyuv2, byol_toy_checkpoint, variants=['flip-aug'])
    checkpoint = torch.load(tmp_path / 'iter_2.pth', map_location='cpu', weights_only=False)
    assert checkpoint['meta']['transfer_variant'].startswith('flip-aug+cfg:')
    # tested without naming the variant: still not the paper's protocol
    result = apis.test(load_config(str(config), work_dir=str(tmp_path / 'test'), data_root=str(toy_nyuv2),
                                   load_from=str(tmp_path / 'iter_2.pth')))
    assert result.hparams['variant'].startswith('flip-aug+cfg:') and result.paper_protocol is False
    assert result.extra['train_variant'].startswith('flip-aug+cfg:')
    # and with a test-time variant on top, both are named
    result = apis.test(load_config(str(config), work_dir=str(tmp_path / 'test2'), data_root=str(toy_nyuv2),
                                   load_from=str(tmp_path / 'iter_2.pth'), variants=['native-resolution-test']))
    assert result.hparams['variant'].startswith('flip-aug+native-resolution-test+cfg:')


def test_regression_mode_is_one_knob(tmp_path, toy_nyuv2, byol_toy_checkpoint):
    config = run_mode(tmp_path, toy_nyuv2, byol_toy_checkpoint, **{'model.decode_head.target': 'regression'})
    state = torch.load(tmp_path / 'iter_2.pth', map_location='cpu', weights_only=False)['state_dict']
    assert state['decode_head.conv_seg.weight'].shape[0] == 3
    apis.test(load_config(str(config), work_dir=str(tmp_path / 'test'), data_root=str(toy_nyuv2),
                          load_from=str(tmp_path / 'iter_2.pth')))
    assert set(read_result(tmp_path / 'test' / 'result.json').metrics) == ANGULAR_METRICS


def test_missing_cluster_file_is_an_error_naming_it(tmp_path, toy_nyuv2, byol_toy_checkpoint):
    import shutil
    data = tmp_path / 'data'
    shutil.copytree(toy_nyuv2, data)
    (data / 'normal_clusters_k40.npy').unlink()
    # a file of the data folder: the message ends with the line that checks the folder (one error contract)
    with pytest.raises(InputError, match='normal_clusters_k40.npy.*compute_normal_clusters') as raised:
        run_mode(tmp_path, data, byol_toy_checkpoint)
    assert str(raised.value).endswith(f'python tools/prepare_data.py nyuv2 --check --root {data}')
