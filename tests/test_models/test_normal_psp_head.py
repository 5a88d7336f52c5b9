"""NormalPSPHead in both target modes, CosineNormalLoss, and NormalEncoderDecoder's normal predictions."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmssl_transfer.models.decode_heads import NormalPSPHead
from mmssl_transfer.models.losses import CosineNormalLoss
from mmssl_transfer.normal_cluster_file import save_normal_clusters

CENTRES = np.array([[0, 0, 1], [0, 1, 0], [1, 0, 0], [-1, 0, 0]], np.float32)


@pytest.fixture(autouse=True)
def mmseg_scope():
    """The head builds its losses from the registry of the current scope: make it mmseg's explicitly."""
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


def head(target, **kwargs):
    torch.manual_seed(0)
    return NormalPSPHead(target=target, in_channels=16, channels=8, pool_scales=(1, 2), dropout_ratio=0.0,
                         norm_cfg=dict(type='BN'), **kwargs)


def samples(height=8, width=8, n=2, pad_to=None):
    """Data samples whose normals are cluster centres (left half: +z, right half: +y), last row invalid."""
    out = []
    for _ in range(n):
        normals = torch.zeros(3, height, width)
        normals[2, :, :width // 2] = 1
        normals[1, :, width // 2:] = 1
        labels = torch.zeros(1, height, width, dtype=torch.long)
        labels[:, -1] = 255
        if pad_to is not None:
            labels = F.pad(labels, (0, pad_to[1] - width, 0, pad_to[0] - height), value=255)
        sample = SegDataSample(gt_sem_seg=PixelData(data=labels))
        sample.set_data({'gt_normal_map': PixelData(data=normals)})
        out.append(sample)
    return out


def test_clusters_mode_loads_centres_and_classifies_into_k(tmp_path):
    model = head('clusters', cluster_file=str(save_normal_clusters(tmp_path / 'c.npy', CENTRES)))
    assert model.num_classes == 4 and model.clusters_ready
    logits = model([torch.randn(2, 16, 4, 4)])
    assert logits.shape == (2, 4, 4, 4)
    losses = model.loss_by_feat(logits, samples())
    assert set(losses) == {'loss_ce', 'acc_seg'} and torch.isfinite(losses['loss_ce'])
    losses['loss_ce'].backward()


def test_clusters_mode_labels_are_the_nearest_centre(tmp_path):
    model = head('clusters', cluster_file=str(save_normal_clusters(tmp_path / 'c.npy', CENTRES)))
    normals = F.normalize(torch.tensor([[0.1, 0.2, 0.9], [0.9, 0.1, 0.0], [-0.7, 0.3, 0.1]]), dim=1)
    labels = model.assign_clusters(normals.T.reshape(1, 3, 3, 1))
    assert labels.flatten().tolist() == [0, 2, 3]


def test_clusters_prediction_is_the_probability_weighted_centre_sum_renormalised(tmp_path):
    model = head('clusters', cluster_file=str(save_normal_clusters(tmp_path / 'c.npy', CENTRES)))
    logits = torch.full((1, 4, 1, 1), -30.0)
    logits[0, 0] = logits[0, 1] = 0.0  # half +z, half +y
    normal = model.logits_to_normals(logits)[0, :, 0, 0]
    np.testing.assert_allclose(normal.numpy(), [0, np.sqrt(0.5), np.sqrt(0.5)], atol=1e-6)


def test_clusters_mode_without_centres_says_how_to_get_them():
    model = head('clusters', num_clusters=4)
    with pytest.raises(RuntimeError, match='compute_normal_clusters'):
        model.logits_to_normals(torch.zeros(1, 4, 2, 2))
    model.set_clusters(CENTRES)
    assert model.clusters_ready


def test_regression_mode_predicts_three_channels_and_trains_with_the_cosine_loss():
    model = head('regression')
    assert model.num_classes == 3
    logits = model([torch.randn(2, 16, 4, 4)])
    losses = model.loss_by_feat(logits, samples())
    assert set(losses) == {'loss_normal'}
    losses['loss_normal'].backward()
    normals = model.logits_to_normals(logits)
    np.testing.assert_allclose(normals.norm(dim=1).detach().numpy(), 1.0, atol=1e-5)


def test_loss_pads_normals_like_the_padded_labels():
    """In a padded batch the labels are larger than the normal maps; the pad is invalid ground truth."""
    model = head('regression')
    losses = model.loss_by_feat(model([torch.randn(2, 16, 4, 4)]), samples(8, 8, pad_to=(8, 12)))
    assert torch.isfinite(losses['loss_normal'])


def test_cosine_loss_is_zero_for_parallel_predictions_and_ignores_invalid_pixels():
    target = F.normalize(torch.randn(2, 3, 5, 5), dim=1)
    valid = torch.ones(2, 5, 5, dtype=torch.bool)
    valid[:, 0] = False
    pred = 4.0 * target
    pred[:, :, 0] = -target[:, :, 0]  # wrong only where invalid
    for mode in ('cosine', 'angular'):
        assert CosineNormalLoss(mode=mode)(pred, target, valid).item() == pytest.approx(0.0, abs=2e-3)
    assert CosineNormalLoss()(-target, target, valid).item() == pytest.approx(2.0, abs=1e-5)


def test_segmentor_predictions_undo_a_test_time_flip_including_the_x_component():
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    import mmssl_transfer.models  # noqa: F401
    import mmssl_transfer.models.segmentors  # noqa: F401
    init_default_scope('mmseg')
    model = MODELS.build(dict(
        type='NormalEncoderDecoder', backbone=dict(type='SSLResNet', base_channels=8),
        decode_head=dict(type='NormalPSPHead', target='regression', in_channels=256, in_index=3, channels=8,
                         pool_scales=(1,), norm_cfg=dict(type='BN'))))
    logits = torch.randn(1, 3, 4, 6)
    meta = dict(ori_shape=(4, 6), img_shape=(4, 6), padding_size=[0, 0, 0, 0])
    plain = model.postprocess_result(logits, [SegDataSample(metainfo=meta)])[0].pred_normal_map.data
    flipped = model.postprocess_result(logits, [SegDataSample(metainfo={**meta, 'flip': True,
                                                                        'flip_direction': 'horizontal'})])
    flipped = flipped[0].pred_normal_map.data
    expected = plain.flip(dims=(2,)).clone()
    expected[0] = -expected[0]
    torch.testing.assert_close(flipped, expected)
    torch.testing.assert_close(plain.norm(dim=0), torch.ones(4, 6))
