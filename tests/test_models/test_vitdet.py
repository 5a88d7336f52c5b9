"""The ViTDet pieces (models/vitdet.py): windowed and global attention with decomposed relative positions against
the block's own attention and the definition, SimpleFPN's levels and strides, SSLViTDet's strict load of official
layouts (DINO and iBOT files in a detection config), frozen = the pretrained ViT, position embeddings at two sizes."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmssl_transfer.checkpoints import convert
from mmssl_transfer.models import SSLViT, SSLViTDet
from mmssl_transfer.models.vitdet import (RelPosWindowAttention, SimpleFPN, relative_positions, vitdet_global_blocks,
                                          window_merge, window_partition)
from mmssl_transfer.toy.vit_checkpoints import make_toy_vit_checkpoints, toy_vit_checkpoint_path

REPO = Path(__file__).resolve().parents[2]
ROWS = ('dino_vits16', 'ibot_vits16', 'dinov2_vits14_reg4')


@pytest.fixture(scope='module')
def toy_files(tmp_path_factory):
    folder = make_toy_vit_checkpoints(tmp_path_factory.mktemp('vit'), seed=3, rows=list(ROWS))
    return {row: toy_vit_checkpoint_path(folder, row) for row in ROWS}


def _attention_module(dim=24, heads=3):
    from mmpretrain.models.utils import MultiheadAttention
    torch.manual_seed(0)
    return MultiheadAttention(embed_dims=dim, num_heads=heads).eval()


def test_global_blocks_are_the_last_of_each_quarter():
    assert vitdet_global_blocks(12) == (2, 5, 8, 11)  # ViTDet ViT-B
    assert vitdet_global_blocks(24) == (5, 11, 17, 23)  # ViTDet ViT-L
    assert vitdet_global_blocks(2) == (0, 1)


def test_global_attention_with_zero_relative_positions_is_the_blocks_own_attention():
    attn = _attention_module()
    ours = RelPosWindowAttention(attn, window_size=0, rel_pos_size=5).eval()
    x = torch.randn(2, 4, 5, 24)
    expected = attn(x.reshape(2, 20, 24)).reshape(2, 4, 5, 24)
    torch.testing.assert_close(ours(x), expected, atol=1e-5, rtol=1e-5)
    assert ours.qkv is attn.qkv and ours.proj is attn.proj  # the checkpoint's weights, same keys


def test_windowed_attention_is_the_blocks_attention_in_each_zero_padded_window():
    attn = _attention_module()
    ours = RelPosWindowAttention(attn, window_size=3, rel_pos_size=3).eval()
    x = torch.randn(2, 5, 7, 24)
    padded = F.pad(x, (0, 0, 0, 2, 0, 1))  # 6 x 9: 2 x 3 windows
    expected = torch.zeros_like(padded)
    for i in range(0, 6, 3):
        for j in range(0, 9, 3):
            window = padded[:, i:i + 3, j:j + 3].reshape(2, 9, 24)
            expected[:, i:i + 3, j:j + 3] = attn(window).reshape(2, 3, 3, 24)
    torch.testing.assert_close(ours(x), expected[:, :5, :7], atol=1e-5, rtol=1e-5)
    windows, size = window_partition(x, 3)
    assert windows.shape == (2 * 6, 3, 3, 24) and size == (6, 9)
    torch.testing.assert_close(window_merge(windows, 3, size, (5, 7)), x)


def test_relative_position_bias_is_the_decomposed_definition():
    attn = _attention_module(dim=8, heads=2)
    ours = RelPosWindowAttention(attn, window_size=0, rel_pos_size=3)
    torch.nn.init.normal_(ours.rel_pos_h)
    torch.nn.init.normal_(ours.rel_pos_w)
    q = torch.randn(1, 2, 9, 4)
    bias = ours._rel_pos_bias(q, 3, 3)
    coords = [(i, j) for i in range(3) for j in range(3)]
    for n in range(2):
        for a, (hq, wq) in enumerate(coords):
            for b, (hk, wk) in enumerate(coords):
                want = q[0, n, a] @ (ours.rel_pos_h[hq - hk + 2] + ours.rel_pos_w[wq - wk + 2])
                torch.testing.assert_close(bias[0, n, a, b], want, atol=1e-5, rtol=1e-5)
    constant = torch.ones(5, 4)  # a table made for extent 3 serves extent 6 (resized linearly)
    assert relative_positions(6, 6, constant).shape == (6, 6, 4)
    torch.testing.assert_close(relative_positions(6, 6, constant), torch.ones(6, 6, 4))


@pytest.mark.parametrize('patch', [16, 14])
def test_simple_fpn_levels_and_strides(patch):
    neck = SimpleFPN(24, out_channels=8)
    x = torch.randn(1, 24, 6, 10)
    outs = neck((x,))
    assert [o.shape[-2:] for o in outs] == [(24, 40), (12, 20), (6, 10), (3, 5), (2, 3)]
    torch.testing.assert_close(outs[4], F.max_pool2d(outs[3], kernel_size=1, stride=2))  # LastLevelMaxPool
    assert neck.strides(patch) == tuple(patch * s for s in (0.25, 0.5, 1, 2, 4))


def test_every_vit_det_config_puts_anchors_and_roi_pooling_at_the_patchs_strides():
    from mmssl_transfer.checkpoints import VIT_ZOO
    for name, spec in VIT_ZOO.items():
        for protocol in ('frozen', 'finetune'):
            cfg = Config.fromfile(REPO / 'configs' / 'det' / f'{name}_{protocol}_voc.py')
            patch = spec.vit.patch_size
            neck = SimpleFPN(**{k: v for k, v in cfg.model.neck.items() if k != 'type'})
            strides = neck.strides(patch)
            assert cfg.model.neck.in_channels == spec.vit.embed_dims
            assert list(cfg.model.rpn_head.anchor_generator.strides) == list(strides), name
            assert list(cfg.model.roi_head.bbox_roi_extractor.featmap_strides) == list(strides[:4]), name
            assert list(cfg.model.rpn_head.anchor_generator.base_sizes) == [4, 8, 16, 32, 64]  # sizes 32-512
            assert cfg.model.data_preprocessor.pad_size_divisor == 2 * patch
            assert cfg.model.roi_head.bbox_head.type == 'Shared4Conv1FCBBoxHead'


def _build_det_backbone(config: str, checkpoint: Path):
    """The backbone of a generated det config with the toy-vit variant, built and initialised as the Runner does."""
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope

    from mmssl_transfer.apis.variants import load_with_variants
    cfg = load_with_variants(REPO / 'configs' / 'det' / config, ['toy-vit'])
    cfg.model.backbone.checkpoint = str(checkpoint)
    with DefaultScope.overwrite_default_scope('mmdet'):
        backbone = MODELS.build(cfg.model.backbone)
    backbone.init_weights()
    return backbone


@pytest.mark.parametrize('row', ['dino_vits16', 'ibot_vits16'])
def test_dino_and_ibot_files_load_strictly_in_detection_with_only_the_relative_positions_new(toy_files, row):
    """The upstream ViTDet loader reads only files with a top-level 'model' key (DINO and iBOT have none) and
    loads non-strictly; ours takes every tensor of the file and declares the zero tables as the only others."""
    backbone = _build_det_backbone(f'{row}_finetune_voc.py', toy_files[row])
    file_state = convert(toy_files[row], method=row).state_dict
    own = backbone.state_dict()
    assert set(own) - set(file_state) == set(backbone.non_file_parameters)
    assert backbone.non_file_parameters and all(n.endswith(('rel_pos_h', 'rel_pos_w'))
                                                for n in backbone.non_file_parameters)
    for key, value in file_state.items():
        torch.testing.assert_close(own[key], value.to(own[key].dtype), msg=key)
    for key in backbone.non_file_parameters:
        assert not own[key].any()
    assert backbone.window_size == 14 and backbone.global_blocks == (1,)


def test_a_file_missing_a_tensor_is_refused(toy_files):
    backbone = SSLViTDet(method='dino_vits16', checkpoint=str(toy_files['dino_vits16']), toy=True, window_size=4)
    conversion = convert(toy_files['dino_vits16'], method='dino_vits16')
    del conversion.state_dict['layers.1.attn.qkv.weight']
    with pytest.raises(RuntimeError, match='layers.1.attn.qkv.weight'):
        backbone.load_conversion(conversion)


@pytest.mark.parametrize('row', ['dino_vits16', 'dinov2_vits14_reg4'])
def test_frozen_is_the_pretrained_vit_whole(toy_files, row):
    det = SSLViTDet(method=row, checkpoint=str(toy_files[row]), toy=True, frozen_stages='all')
    det.init_weights()
    plain = SSLViT(method=row, checkpoint=str(toy_files[row]), toy=True, out_type='featmap')
    plain.init_weights()
    assert not any(p.requires_grad for p in det.parameters())
    det.train()
    assert not any(m.training for m in det.modules() if m is not det and list(m.parameters(recurse=False)))
    x = torch.randn(2, 3, 4 * det.vit_arch.patch_size, 6 * det.vit_arch.patch_size)
    with torch.no_grad():
        torch.testing.assert_close(det(x)[0], plain.eval()(x)[0])


@pytest.mark.parametrize('row', ['dino_vits16', 'dinov2_vits14_reg4'])
def test_position_embeddings_interpolate_at_two_input_sizes(toy_files, row):
    for window_size in (0, 4):
        backbone = SSLViTDet(method=row, checkpoint=str(toy_files[row]), toy=True, window_size=window_size,
                             global_blocks=(1,), rel_pos_image_size=160).eval()
        backbone.init_weights()
        patch = backbone.vit_arch.patch_size
        for grid in ((5, 7), (8, 6)):
            with torch.no_grad():
                out, = backbone(torch.randn(1, 3, grid[0] * patch, grid[1] * patch))
            assert out.shape == (1, 24, *grid) and torch.isfinite(out).all()
            assert backbone.token_grid == grid and backbone.pos_embed_resized
        with torch.no_grad():  # an input that is no multiple of the patch is padded to one
            out, = backbone(torch.randn(1, 3, 5 * patch - 3, 7 * patch - 1))
        assert out.shape[-2:] == (5, 7)


def test_windowed_mode_drops_cls_and_registers_and_refuses_frozen_blocks(toy_files):
    backbone = SSLViTDet(method='dinov2_vits14_reg4', checkpoint=str(toy_files['dinov2_vits14_reg4']), toy=True,
                         window_size=4)
    assert not backbone.cls_token.requires_grad and not backbone.register_tokens.requires_grad
    with pytest.raises(ValueError, match='windowed attention .* with frozen blocks'):
        SSLViTDet(method='dino_vits16', checkpoint=str(toy_files['dino_vits16']), toy=True, window_size=4,
                  frozen_stages='all')
