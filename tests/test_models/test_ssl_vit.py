"""SSLViT loads each ViT release as its authors write it, strictly, and computes what their model computes.

Per zoo row: a tiny model of the authors' code (tests/vit_reference.py, an independent transcription) is saved in
the release's own container, SSLViT converts and loads it strictly, and every feature definition equals the
authors' outputs at the native input size and at an interpolated one.
"""
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vit_reference import ROWS, authors_model, write_release  # noqa: E402

from mmssl_transfer.checkpoints import CheckpointError, convert, convert_file, identify  # noqa: E402
from mmssl_transfer.models import SSLResNet, SSLViT  # noqa: E402
from mmssl_transfer.probes.features import build_extractor  # noqa: E402
from mmssl_transfer.toy.checkpoints import toy_checkpoint_path  # noqa: E402

#: row -> (native input side, an interpolated (h, w) the authors' code accepts)
SIZES = {16: (224, (160, 192)), 14: (518, (224, 252))}
FEATURES = ('cls_patch_mean', 'cls', 'patch_mean', 'last4_cls', 'last4_cls_patch_mean')


def _fixture(tmp_path, row, **override):
    model = authors_model(row, **override)
    path = write_release(model, tmp_path / ROWS[row][2], ROWS[row][1])
    return model, path


@pytest.mark.parametrize('row', list(ROWS))
def test_release_loads_strictly_and_matches_the_authors_model(tmp_path, row):
    model, path = _fixture(tmp_path, row)
    patch = ROWS[row][0]['patch_size']
    native, (h, w) = SIZES[patch]
    backbone = SSLViT(checkpoint=path, last_n=2, toy=True, out_indices=(1, 2)).eval()
    backbone.init_weights()
    assert backbone.method == row and backbone.conversion_report.layout == row
    torch.manual_seed(1)
    for size in ((native, native), (h, w)):
        x = torch.randn(1 if max(size) > 300 else 2, 3, *size)  # one 518 px image keeps the reference fast
        with torch.no_grad():
            ref = model.features(x, n_last=2)
            for out in FEATURES:
                backbone.out_type = out
                got, = backbone(x)
                torch.testing.assert_close(got, ref[out], rtol=1e-4, atol=1e-4, msg=f'{row} {out} at {size}')
            backbone.out_type = 'featmap'
            maps = backbone(x)
        assert len(maps) == 2 and maps[1].shape == ref['featmap'].shape
        torch.testing.assert_close(maps[1], ref['featmap'], rtol=1e-4, atol=1e-4)
        assert backbone.token_grid == (size[0] // patch, size[1] // patch)
    assert backbone.pos_embed_resized


def test_dino_full_checkpoint_loads_the_teacher(tmp_path):
    model = authors_model('dino_vits16')
    path = write_release(model, tmp_path / 'dino_deitsmall16_pretrain_full_checkpoint.pth', 'dino_full')
    backbone = SSLViT(checkpoint=path, out_type='cls', toy=True).eval()
    backbone.init_weights()
    report = backbone.conversion_report
    assert report.method == 'dino_vits16' and 'student' in report.ignored_entries
    assert any(k.startswith('head.') for k in report.dropped)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(backbone(x)[0], model.features(x)['cls'], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('row', list(ROWS))
def test_a_converted_file_reads_back_as_its_row_with_the_same_features(tmp_path, row):
    """What tools/convert_checkpoint.py writes (convert_file), .pth or .safetensors under a name that says nothing,
    is read back as the row it came from: by convert, identify, SSLViT (auto or the row named) and the probes."""
    model, path = _fixture(tmp_path, row)
    patch = ROWS[row][0]['patch_size']
    x = torch.randn(1, 3, *SIZES[patch][1])
    with torch.no_grad():
        expected = model.features(x)['cls_patch_mean']
    for suffix in ('pth', 'safetensors'):
        dst = tmp_path / f'converted.{suffix}'
        written = convert_file(path, dst).state_dict
        report = convert(dst).report
        assert (report.method, report.layout) == (row, row) and 'converted ViT file' in report.detected_by
        assert identify(dst).method == row
        for method in ('auto', row):
            backbone = SSLViT(checkpoint=dst, method=method, toy=True).eval()
            backbone.init_weights()
            assert backbone.method == row and backbone.conversion_report.method == row
            assert all(torch.equal(backbone.state_dict()[k], v) for k, v in written.items())
            with torch.no_grad():
                torch.testing.assert_close(backbone(x)[0], expected, rtol=1e-4, atol=1e-4)
        for method in ('auto', row):
            extractor = build_extractor(dst, method, base_channels=24)  # a toy width: the probes' toy ViT switch
            assert extractor.backbone.method == row
            with torch.no_grad():
                torch.testing.assert_close(extractor.backbone(x)[0], expected, rtol=1e-4, atol=1e-4)


def test_a_converted_file_named_as_another_row_is_an_error(tmp_path):
    _, path = _fixture(tmp_path, 'mocov3_vits')
    dst = tmp_path / 'converted.pth'
    convert_file(path, dst)
    with pytest.raises(CheckpointError, match=r'converted\.pth: a converted file of mocov3_vits .*not of dino_vits16'):
        convert(dst, method='dino_vits16')


def test_ibot_full_checkpoint_loads_the_teacher(tmp_path):
    model = authors_model('ibot_vits16')
    path = write_release(model, tmp_path / 'checkpoint.pth', 'ibot_full')  # main_ibot.py's name
    backbone = SSLViT(checkpoint=path, method='ibot_vits16', out_type='cls', toy=True).eval()
    backbone.init_weights()
    report = backbone.conversion_report
    assert report.method == 'ibot_vits16' and {'student', 'ibot_loss'} <= set(report.ignored_entries)
    assert {'head.last_layer.weight_g', 'head.last_layer2.weight_g', 'head.mlp.0.weight'} <= set(report.dropped)
    assert all(k.startswith('backbone.') for k in report.kept)
    student = torch.load(path, weights_only=False)['student']
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        got = backbone(x)[0]
        torch.testing.assert_close(got, model.features(x)['cls'], rtol=1e-4, atol=1e-4)
        model.load_state_dict({k[len('module.backbone.'):]: v for k, v in student.items()
                               if k.startswith('module.backbone.') and 'masked_embed' not in k})
        assert not torch.allclose(got, model.features(x)['cls'], atol=1e-3)  # the student differs


def test_a_file_of_the_other_architecture_names_the_backbone_to_use(tmp_path, toy_checkpoints):
    _, vit = _fixture(tmp_path, 'dino_vits16')
    with pytest.raises(CheckpointError, match=r'dino_deitsmall16_pretrain\.pth: this is a ViT checkpoint \(row '
                                              r'dino_vits16\): use SSLViT, not SSLResNet$'):
        SSLResNet(checkpoint=vit).init_weights()
    with pytest.raises(CheckpointError, match=r'this is a ViT checkpoint \(row dino_vits16\): use SSLViT'):
        SSLResNet(checkpoint=vit, base_channels=8).load_conversion(convert(vit))  # what the probes call
    mocov2 = toy_checkpoint_path(toy_checkpoints, 'mocov2')
    with pytest.raises(CheckpointError, match=rf'^{mocov2}: this is a ResNet-50 checkpoint \(row mocov2\): use '
                                              r'SSLResNet, not SSLViT$'):
        SSLViT(checkpoint=mocov2)
    supervised = tmp_path / 'weights.pth'  # torchvision names: a layout only a file name tells apart
    supervised.write_bytes(toy_checkpoint_path(toy_checkpoints, 'supervised').read_bytes())
    with pytest.raises(CheckpointError, match=r'this is a ResNet-50 checkpoint \(row ambiguous: supervised, '
                                              r'barlowtwins, dino\): use SSLResNet'):
        SSLViT(checkpoint=supervised)
    with pytest.raises(CheckpointError, match=r'not in the dino_vits16 layout .*; the file has the layout of '
                                              r'mocov2 \(a ResNet-50\)$'):
        SSLViT(checkpoint=mocov2, method='dino_vits16', toy=True).init_weights()


@pytest.mark.parametrize('row', ['dinov2_vits14', 'dinov2_vitb14_reg4'])
def test_dinov2_own_linear_feature_is_the_input_of_its_released_linear_heads(tmp_path, row):
    from mmssl_transfer.checkpoints import get_method
    from mmssl_transfer.probes.features import feature_definition
    spec = get_method(row)
    assert spec.linear_feature == 'last4_cls_patch_mean' == feature_definition(spec, 'method')
    model = authors_model(row, depth=5)
    path = write_release(model, tmp_path / ROWS[row][2], 'plain')
    backbone = SSLViT(checkpoint=path, out_type=spec.linear_feature, toy=True).eval()  # last_n=4: hub layers=4
    backbone.init_weights()
    x = torch.randn(2, 3, 224, 252)
    with torch.no_grad():
        got, = backbone(x)
        assert got.shape == (2, 5 * 24) and backbone.feature_dim == 5 * 24
        torch.testing.assert_close(got, model.dinov2_linear_input(x, layers=4), rtol=1e-4, atol=1e-4)
        backbone.last_n = 1  # hub layers=1: the final-norm CLS and patch mean, the benchmark-wide feature
        torch.testing.assert_close(backbone(x)[0], model.dinov2_linear_input(x, layers=1), rtol=1e-4, atol=1e-4)
        backbone.out_type = 'cls_patch_mean'
        torch.testing.assert_close(backbone(x)[0], model.dinov2_linear_input(x, layers=1), rtol=1e-4, atol=1e-4)


def test_mocov3_vit_s_with_six_heads_is_refused_and_would_compute_something_else(tmp_path):
    model, path = _fixture(tmp_path, 'mocov3_vits')
    with pytest.raises(ValueError, match=r'num_heads=6 but the zoo row mocov3_vits .* has num_heads=12'):
        SSLViT(checkpoint=path, method='mocov3_vits', num_heads=6, toy=True)
    # why it matters: the same tensors in a 6-head model give other features without any error
    six = authors_model('mocov3_vits', num_heads=6)
    six.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert not torch.allclose(six.features(x)['cls'], model.features(x)['cls'], atol=1e-3)


def test_missing_patch_embedding_bias_is_an_error(tmp_path):
    model = authors_model('dino_vits16')
    sd = model.state_dict()
    del sd['patch_embed.proj.bias']
    path = tmp_path / 'dino_deitsmall16_pretrain.pth'
    torch.save(sd, path)
    with pytest.raises(CheckpointError, match=r'missing .*patch_embed\.proj\.bias'):
        convert(path, method='dino_vits16')


def test_dinov2_file_given_as_dino_is_an_error_naming_both(tmp_path):
    _, path = _fixture(tmp_path, 'dinov2_vits14')
    with pytest.raises(CheckpointError, match=r'not a dino_vits16 .*patch_size 14 in the file vs 16.*'
                                              r'layer_scale True in the file vs False'):
        convert(path, method='dino_vits16')


def test_real_width_row_refuses_a_toy_file_without_toy(tmp_path):
    _, path = _fixture(tmp_path, 'dino_vits16')
    backbone = SSLViT(checkpoint=path, method='dino_vits16', num_layers=12)  # the row's architecture
    assert backbone.embed_dims == 384 and backbone.layers[0].attn.num_heads == 6
    with pytest.raises(ValueError, match=r'embed_dims 24 in the file vs 384 built.*toy=True'):
        backbone.init_weights()
    with pytest.raises(ValueError, match=r'embed_dims=768 but the zoo row dino_vits16'):
        SSLViT(method='dino_vits16', embed_dims=768)


def test_row_architecture_state_dict_and_frozen_blocks():
    from mmssl_transfer.checkpoints import get_method
    from mmssl_transfer.checkpoints.vit_layout import vit_shapes
    backbone = SSLViT(method='dinov2_vits14_reg4', toy=True, embed_dims=24, num_layers=3, frozen_stages=2)
    arch = backbone.vit_arch
    assert (arch.num_heads, arch.patch_size, arch.pos_grid, arch.num_register_tokens) == (6, 14, 37, 4)
    assert {k: tuple(v.shape) for k, v in backbone.state_dict().items()} == dict(vit_shapes(arch))
    assert get_method('dinov2_vits14_reg4').pretraining_data == 'lvd-142m'
    frozen = {n for n, p in backbone.named_parameters() if not p.requires_grad}
    assert {'cls_token', 'pos_embed', 'register_tokens', 'patch_embed.projection.weight'} <= frozen
    assert any(n.startswith('layers.1.') for n in frozen) and not any(n.startswith('layers.2.') for n in frozen)
    assert 'ln1.weight' not in frozen
    backbone.train()
    assert not backbone.layers[0].training and backbone.layers[2].training


def test_registered_in_every_host():
    from mmdet.registry import MODELS as DET
    from mmpretrain.registry import MODELS as CLS
    from mmseg.registry import MODELS as SEG
    for registry in (DET, SEG, CLS):
        assert registry.get('SSLViT') is SSLViT
