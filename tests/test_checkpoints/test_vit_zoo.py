"""The ViT rows of the zoo and their format detection: each release layout at its real width is told from the
others and from ResNet-50 files, by container, prefixes, LayerScale/register markers and width/patch/depth."""
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vit_reference import ROWS, authors_model, write_release  # noqa: E402

from mmssl_transfer.checkpoints import (ALL_METHODS, VIT_ZOO, ZOO, CheckpointError, convert, detect_format,  # noqa
                                        explain, get_method, load_checkpoint)
from mmssl_transfer.toy.checkpoints import toy_checkpoint_path  # noqa: E402


def _release_at_real_width(tmp_path, row, name='weights.pth', layout=None):
    """The release's container and keys at depth 12 with the real patch-embedding shape (what detection reads);
    other tensors stay tiny."""
    arch = VIT_ZOO[row].vit
    model = authors_model(row, dim=24, depth=arch.num_layers)
    model.patch_embed.proj.weight = torch.nn.Parameter(torch.zeros(arch.embed_dims, 3, arch.patch_size,
                                                                   arch.patch_size))
    return write_release(model, tmp_path / name, layout or ROWS[row][1])


def test_vit_rows_record_the_releases():
    assert list(VIT_ZOO) == ['dino_vits16', 'dino_vitb16', 'mocov3_vits', 'mocov3_vitb', 'mae_vitb16', 'ibot_vits16',
                             'ibot_vitb16', 'dinov2_vits14', 'dinov2_vitb14', 'dinov2_vits14_reg4',
                             'dinov2_vitb14_reg4']
    assert not set(VIT_ZOO) & set(ZOO) and ALL_METHODS == {**ZOO, **VIT_ZOO}
    assert VIT_ZOO['mocov3_vits'].vit.num_heads == 12 and VIT_ZOO['dino_vits16'].vit.num_heads == 6
    assert VIT_ZOO['mocov3_vits'].vit.pos_embed == 'sincos' and VIT_ZOO['mae_vitb16'].md5_prefix == '8cad7c'
    assert (VIT_ZOO['mae_vitb16'].container, VIT_ZOO['mocov3_vitb'].keep_prefix) == ('model', 'module.base_encoder.')
    for name, spec in VIT_ZOO.items():
        assert spec.pretraining_data == ('lvd-142m' if name.startswith('dinov2') else 'imagenet-1k')
        assert spec.urls[0].startswith('https://') and spec.urls[0].endswith(spec.filename)
        assert (spec.mean, spec.std) == ([123.675, 116.28, 103.53], [58.395, 57.12, 57.375])
        assert spec.architecture == 'vit' and not spec.in_paper and spec.linear_feature
    reg = VIT_ZOO['dinov2_vitb14_reg4'].vit
    assert (reg.pos_grid, reg.num_register_tokens) == (37, 4)
    assert (reg.interpolate_offset, reg.interpolate_antialias) == (0, True)
    assert VIT_ZOO['dinov2_vits14'].vit.interpolate_offset == 0.1 and VIT_ZOO['dinov2_vits14'].vit.layer_scale
    top1 = [VIT_ZOO[m].imagenet_top1 for m in ('dino_vits16', 'ibot_vitb16', 'dinov2_vitb14_reg4')]
    assert top1 == [77.0, 79.5, 84.6]
    assert get_method('DINO ViT-S/16').name == 'dino_vits16' and get_method('dinov2-vits14-reg4').vit is not None


@pytest.mark.parametrize('row', list(ROWS))
def test_each_release_layout_is_detected_as_its_own_row_without_a_file_name(tmp_path, row):
    path = _release_at_real_width(tmp_path, row)
    detection = detect_format(load_checkpoint(path).obj, filename=str(path))
    assert (detection.method, detection.candidates, detection.layout) == (row, (row,), row)


def test_dino_full_checkpoint_is_detected_as_dino_and_its_teacher_converted(tmp_path):
    path = _release_at_real_width(tmp_path, 'dino_vitb16', layout='dino_full')
    detection = detect_format(load_checkpoint(path).obj)
    assert detection.method == 'dino_vitb16' and "container 'teacher'" in detection.detected_by


def test_ibot_full_checkpoint_is_detected_as_ibot_not_dino_and_dino_full_not_as_ibot(tmp_path):
    ibot = _release_at_real_width(tmp_path, 'ibot_vits16', name='checkpoint.pth', layout='ibot_full')
    _, explanation = explain(ibot)
    assert explanation.detection.method == 'ibot_vits16'
    assert "container 'teacher'" in explanation.detection.detected_by
    verdicts = {r.method: r.verdict for r in explanation.rows}
    assert verdicts['dino_vits16'].startswith('no') and "top-level ['ibot_loss'] absent" in verdicts['dino_vits16']
    dino = _release_at_real_width(tmp_path, 'dino_vits16', name='checkpoint2.pth', layout='dino_full')
    assert detect_format(load_checkpoint(dino).obj).method == 'dino_vits16'


def test_explain_tells_vit_from_resnet_rows_and_sizes_apart(tmp_path, toy_checkpoints):
    _, explanation = explain(_release_at_real_width(tmp_path, 'dino_vits16'))
    verdicts = {r.method: r.verdict for r in explanation.rows}
    assert verdicts['dino_vits16'].startswith('candidate')
    assert 'file has 384/16/12' in verdicts['dino_vitb16'] and verdicts['dino_vitb16'].startswith('no')
    assert verdicts['dinov2_vits14'].startswith('no') and verdicts['supervised'].startswith('no')
    _, resnet = explain(toy_checkpoint_path(toy_checkpoints, 'mocov2'))
    assert resnet.detection.method == 'mocov2'
    assert all(r.verdict.startswith('no') for r in resnet.rows if r.method in VIT_ZOO)


def test_a_file_name_picks_the_row_of_a_toy_width_file(tmp_path):
    model = authors_model('dino_vitb16')
    path = write_release(model, tmp_path / 'dino_vitbase16_pretrain.pth', 'dino')
    conversion = convert(path)
    assert (conversion.report.method, conversion.report.layout) == ('dino_vitb16', 'dino_vitb16')
    assert conversion.report.architecture['embed_dims'] == 24 and conversion.report.architecture['num_heads'] == 12
    anonymous = write_release(model, tmp_path / 'weights.pth', 'dino')
    assert convert(anonymous).report.method == 'ambiguous: dino_vits16, dino_vitb16'  # DINOv2's markers fail
    reg = write_release(authors_model('dinov2_vits14_reg4'), tmp_path / 'w2.pth', 'plain')
    assert convert(reg).report.method == 'ambiguous: dinov2_vits14_reg4, dinov2_vitb14_reg4'


def test_mocov3_momentum_encoder_predictor_and_head_are_dropped(tmp_path):
    path = write_release(authors_model('mocov3_vits'), tmp_path / 'vit-s-300ep.pth.tar', 'mocov3')
    report = convert(path).report
    assert report.method == 'mocov3_vits' and report.layout == 'mocov3_vits'
    assert {'module.base_encoder.head.0.weight', 'module.predictor.0.weight'} <= set(report.dropped)
    assert any(k.startswith('module.momentum_encoder.') for k in report.dropped)
    assert all(k.startswith('module.base_encoder.') for k in report.kept)
    assert set(report.ignored_entries) == {'epoch', 'arch', 'optimizer', 'scaler'}


def test_a_vit_file_given_as_a_resnet_method_is_refused(tmp_path):
    path = write_release(authors_model('dino_vits16'), tmp_path / 'w.pth', 'dino')
    with pytest.raises(CheckpointError, match='not in the supervised layout'):
        convert(path, method='supervised')
