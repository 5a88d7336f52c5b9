"""The pieces the ViT dense tasks add: SSLViT's ``patch_fit='resize'`` (patch 14 on any input size, position
embeddings interpolated to each grid) and LinearBNHead (DINOv2's BN + 1x1 linear segmentation head)."""
import pytest
import torch
import torch.nn.functional as F

from mmssl_transfer.models.backbones.ssl_vit import SSLViT
from mmssl_transfer.models.decode_heads import LinearBNHead


def _vit(method: str, patch_fit: str) -> SSLViT:
    torch.manual_seed(0)
    vit = SSLViT(method=method, toy=True, embed_dims=24, num_layers=2, out_type='featmap', out_indices=[0, 1],
                 patch_fit=patch_fit)
    vit.init_weights()
    return vit.eval()


@pytest.mark.parametrize('size, fitted', [((45, 60), (42, 56)), ((64, 100), (70, 98))])
def test_patch14_inputs_are_resized_to_the_nearest_multiple_and_the_grid_covers_them(size, fitted):
    resize, floor = _vit('dinov2_vits14', 'resize'), _vit('dinov2_vits14', 'floor')
    floor.load_state_dict(resize.state_dict())
    x = torch.randn(1, 3, *size)
    with torch.no_grad():
        maps = resize(x)
        by_hand = floor(F.interpolate(x, size=fitted, mode='bilinear', align_corners=False))
    grid = (fitted[0] // 14, fitted[1] // 14)
    assert resize.token_grid == grid and resize.pos_embed_resized  # the stored 37x37 grid interpolated to it
    assert [tuple(m.shape) for m in maps] == [(1, 24, *grid)] * 2
    for ours, theirs in zip(maps, by_hand):
        torch.testing.assert_close(ours, theirs)
    with torch.no_grad():  # 'floor' drops the partial patch instead: a smaller grid on the raw input
        assert floor(x)[0].shape[-2:] == (size[0] // 14, size[1] // 14)


def test_patch16_multiples_are_left_as_they_are():
    vit = _vit('dino_vits16', 'resize')
    x = torch.randn(1, 3, 32, 48)
    torch.testing.assert_close(vit.fit_to_patch(x), x)
    with pytest.raises(ValueError, match='patch_fit must be one of'):
        SSLViT(method='dino_vits16', toy=True, embed_dims=24, num_layers=2, patch_fit='crop')


def test_linear_bn_head_is_batchnorm_and_a_1x1_conv_on_the_resized_concatenation():
    torch.manual_seed(0)
    head = LinearBNHead(in_channels=[4, 6], num_classes=5, norm_cfg=dict(type='BN'), align_corners=False)
    head.eval()
    head.bn.running_mean.uniform_(-1, 1)
    head.bn.running_var.uniform_(0.5, 2)
    a, b = torch.randn(2, 4, 6, 8), torch.randn(2, 6, 3, 4)
    with torch.no_grad():
        logits = head([a, b])
        cat = torch.cat([a, F.interpolate(b, size=(6, 8), mode='bilinear', align_corners=False)], dim=1)
        bn = head.bn
        normed = (cat - bn.running_mean[:, None, None]) / torch.sqrt(bn.running_var[:, None, None] + bn.eps)
        normed = normed * bn.weight[:, None, None] + bn.bias[:, None, None]
        expected = F.conv2d(normed, head.conv_seg.weight, head.conv_seg.bias)
    torch.testing.assert_close(logits, expected)
    assert head.channels == 10 and logits.shape == (2, 5, 6, 8)
    with pytest.raises(ValueError, match='fixed'):
        LinearBNHead(in_channels=[4], num_classes=5, channels=8)
