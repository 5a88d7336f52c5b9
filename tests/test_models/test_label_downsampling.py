"""Loss on labels downsampled to the decoder's resolution, as the paper's dense code trains.

ADE20K: ssl-transfer@416913f semantic-segmentation/config/ade20k-resnet50-upernet.yaml L9
(segm_downsampling_rate 4); mit_semseg/dataset.py L175-184 (labels padded to a multiple of 4, then PIL-nearest
resized by 1/4); mit_semseg/models/models.py L584 (UPerNet's log-softmax at the fused stride-4 resolution, no
upsampling in training) and train.py L154 (NLLLoss(ignore_index=-1): the mean over labelled pixels).
Normals: surface-normal-estimation/train_generic.py L296 (segm_downsampling_rate default 8), dataset_generic.py
L259-267 (the same padding and nearest resize), models/models.py L577 (PPM log-softmax at stride 8).
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from PIL import Image

from mmssl_transfer.models.decode_heads import DownsampledLabelUPerHead, NormalPSPHead, nearest_downsample


@pytest.fixture(autouse=True)
def mmseg_scope():
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


@pytest.mark.parametrize('factor', [4, 8])
def test_nearest_downsample_keeps_the_pixels_pil_nearest_keeps(factor):
    labels = np.random.default_rng(0).integers(0, 150, size=(48, 64), dtype=np.uint8)
    pil = np.asarray(Image.fromarray(labels).resize((64 // factor, 48 // factor), Image.NEAREST))
    ours = nearest_downsample(torch.from_numpy(labels), factor).numpy()
    np.testing.assert_array_equal(ours, pil)
    np.testing.assert_array_equal(ours, labels[factor // 2::factor, factor // 2::factor])


def label_samples(labels: torch.Tensor) -> list[SegDataSample]:
    return [SegDataSample(gt_sem_seg=PixelData(data=label[None])) for label in labels]


def test_uperhead_loss_is_the_mean_cross_entropy_at_quarter_resolution():
    torch.manual_seed(0)
    head = DownsampledLabelUPerHead(
        label_downsample=4, in_channels=[4, 8, 16, 32], in_index=[0, 1, 2, 3], pool_scales=(1, 2), channels=8,
        dropout_ratio=0.0, num_classes=5, norm_cfg=dict(type='BN'), align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True))
    feats = [torch.randn(2, c, 64 // s, 96 // s) for c, s in zip((4, 8, 16, 32), (4, 8, 16, 32))]
    logits = head(feats)
    assert logits.shape == (2, 5, 16, 24)  # the fused stride-4 resolution
    labels = torch.randint(0, 5, (2, 64, 96))
    labels[:, :20] = 255  # ignored ('other' in ADE20K, or padding)
    losses = head.loss_by_feat(logits, label_samples(labels))
    quarter = labels[:, 2::4, 2::4]
    expected = F.cross_entropy(logits, quarter, ignore_index=255)  # mean over the labelled quarter-res pixels
    assert losses['loss_ce'].item() == pytest.approx(expected.item(), rel=1e-5)
    full = F.cross_entropy(F.interpolate(logits, size=(64, 96), mode='bilinear'), labels, ignore_index=255)
    assert abs(full.item() - expected.item()) > 1e-4  # mmseg's full-resolution loss is another number
    head.label_downsample = 1
    assert head.loss_by_feat(logits, label_samples(labels))['loss_ce'].item() == pytest.approx(full.item(), rel=1e-5)


def test_label_downsample_must_be_a_positive_integer():
    with pytest.raises(ValueError, match='label_downsample must be a positive integer'):
        DownsampledLabelUPerHead(label_downsample=0, in_channels=[4, 8], in_index=[0, 1], channels=8,
                                 num_classes=3)


def test_normals_loss_is_the_mean_cross_entropy_on_clusters_at_eighth_resolution():
    torch.manual_seed(0)
    centres = F.normalize(torch.randn(6, 3), dim=1)
    head = NormalPSPHead(target='clusters', num_clusters=6, label_downsample=8, in_channels=16, channels=8,
                         pool_scales=(1, 2), dropout_ratio=0.0, norm_cfg=dict(type='BN'))
    head.set_clusters(centres)
    logits = head([torch.randn(2, 16, 6, 8)])  # stride 8 of a 48x64 input
    normals = F.normalize(torch.randn(2, 3, 48, 64), dim=1)
    validity = torch.zeros(2, 1, 48, 64, dtype=torch.long)
    validity[:, :, :, :16] = 255  # invalid ground truth
    samples = []
    for n, v in zip(normals, validity):
        sample = SegDataSample(gt_sem_seg=PixelData(data=v))
        sample.set_data({'gt_normal_map': PixelData(data=n)})
        samples.append(sample)
    losses = head.loss_by_feat(logits, samples)
    eighth = normals[:, :, 4::8, 4::8]
    labels = torch.einsum('nchw,kc->nkhw', eighth, head.cluster_centres).argmax(dim=1)
    labels[validity[:, 0, 4::8, 4::8] == 255] = 255
    expected = F.cross_entropy(logits, labels, ignore_index=255)  # NLLLoss mean over valid pixels
    assert losses['loss_ce'].item() == pytest.approx(expected.item(), rel=1e-5)
