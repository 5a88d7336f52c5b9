"""The ViT rows of the zoo get generated configs through the task table's ViT bases (issue 26): a backbone file
of the same two variables as the ResNet ones, and the same two-line experiment file on the family's ViT base
(``{patch}`` filled from the row) only where the task's protocol has one."""
from dataclasses import replace
from pathlib import Path

import pytest
from mmengine.config import Config

from mmssl_transfer import config_generation
from mmssl_transfer.checkpoints import VIT_ZOO
from mmssl_transfer.tasks import EXPERIMENT_FAMILIES, PAPER_VARIANT, ViTBase

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


def test_every_vit_row_has_a_backbone_file_with_the_two_variables_and_no_type():
    for name, spec in VIT_ZOO.items():
        cfg = Config.fromfile(CONFIGS / '_base_' / 'backbones' / f'{name}.py')
        # the task bases set the type (SSLViT / SSLViTDet), as the ResNet bases set SSLResNet
        assert cfg.ssl_backbone == dict(method=name, checkpoint=name)
        assert cfg.ssl_preprocessor == dict(mean=pytest.approx(spec.mean), std=pytest.approx(spec.std))
        assert f'patch {spec.vit.patch_size}' in (CONFIGS / '_base_' / 'backbones' / f'{name}.py').read_text()


def test_families_without_a_vit_base_generate_no_vit_experiment_config():
    generated = {p.relative_to(CONFIGS).as_posix() for p in config_generation.expected_files(CONFIGS)}
    for family in EXPERIMENT_FAMILIES.values():
        for name in VIT_ZOO:
            assert (family.path.format(method=name) in generated) == (family.vit_base is not None), (family, name)


def test_a_vit_base_generates_the_two_line_config_on_the_base_of_the_rows_patch(monkeypatch):
    family = replace(EXPERIMENT_FAMILIES['normals'], vit_base=ViTBase('_base_/normals/vit{patch}_x.py', 'vit-x'))
    monkeypatch.setattr(config_generation, 'EXPERIMENT_FAMILIES', {'normals': family})
    files = config_generation.expected_files(CONFIGS)
    for name, spec in VIT_ZOO.items():
        text = files[CONFIGS / family.path.format(method=name)]
        assert text == (f"_base_ = ['../_base_/normals/vit{spec.vit.patch_size}_x.py', "
                        f"'../_base_/backbones/{name}.py']\nmodel = dict(backbone={{{{_base_.ssl_backbone}}}})\n")
    assert files[CONFIGS / family.path.format(method='byol')].startswith(f"_base_ = ['../{family.base}'")


@pytest.mark.parametrize('family', [n for n, f in sorted(EXPERIMENT_FAMILIES.items()) if f.vit_base is not None])
def test_one_base_serves_every_width_and_each_rows_config_sets_its_width_keys(family):
    """ViTBase.arch_keys is the one way a ViT base follows the width: ViT-S (384) and ViT-B (768) rows share the
    family's base file, and every width key resolves to the row's width (a 4-list where the head reads 4 blocks)."""
    vit_base = EXPERIMENT_FAMILIES[family].vit_base
    assert vit_base.arch_keys and '{width}' not in vit_base.base
    widths = set()
    for name, spec in VIT_ZOO.items():
        cfg = Config.fromfile(CONFIGS / EXPERIMENT_FAMILIES[family].path.format(method=name))
        width = spec.vit.embed_dims
        widths.add(width)
        for key in vit_base.arch_keys:
            value = cfg.model
            for part in key.split('.'):
                value = value[part]
            assert value == width or value == [width] * len(cfg.model.backbone.out_indices), (name, key, value)
    assert widths == {384, 768}


def test_a_vit_base_never_names_the_paper_variant():
    with pytest.raises(AssertionError, match='never the paper protocol'):
        ViTBase('_base_/det/x.py', PAPER_VARIANT)
