"""The generated configs (per-method files from the zoo, finetune bases from the catalog) are up to date, and each
per-method one loads with the right backbone."""
from pathlib import Path

import pytest
from mmengine.config import Config

from mmssl_transfer.checkpoints import NORMALIZATIONS, ZOO
from mmssl_transfer.config_generation import (EXPERIMENT_FAMILIES, missing_bases, orphan_configs, stale_configs,
                                              write_configs)

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


def test_generated_configs_are_up_to_date():
    stale = stale_configs(CONFIGS)
    assert not stale, f'run python tools/generate_configs.py: {stale}'
    assert not orphan_configs(CONFIGS), 'run python tools/generate_configs.py: per-method files no row generates'
    assert not missing_bases(CONFIGS)


def test_generation_deletes_left_over_per_method_files_and_the_check_names_missing_bases(tmp_path):
    """A removed zoo row's files are deleted (hand-written files beside them kept); an inheritor of a deleted base
    (here one of the per-width ViT bases arch_keys replaced) is reported, not silently left broken."""
    configs = tmp_path / 'configs'
    write_configs(configs)
    assert not stale_configs(configs) and not orphan_configs(configs)
    unrelated = set(missing_bases(configs))  # the copy lacks the hand-written bases the generated files inherit
    gone = [configs / 'seg' / 'old_vits16_upernet_ade20k.py', configs / '_base_' / 'backbones' / 'old_vits16.py']
    kept = configs / 'seg' / 'my_notes.py'
    for path in [*gone, kept]:
        path.write_text("_base_ = ['../_base_/seg/upernet_vit384_ade20k.py']\n")
    assert orphan_configs(configs) == sorted(gone)
    assert [m for m in missing_bases(configs) if m not in unrelated] == [
        (p, '../_base_/seg/upernet_vit384_ade20k.py') for p in sorted([*gone, kept])]
    assert set(write_configs(configs)) == set(gone)
    assert not any(p.exists() for p in gone) and kept.exists() and not orphan_configs(configs)


@pytest.mark.parametrize('family', sorted(EXPERIMENT_FAMILIES))
def test_every_method_config_loads_with_its_backbone_and_normalisation(family):
    for method, spec in ZOO.items():
        cfg = Config.fromfile(CONFIGS / EXPERIMENT_FAMILIES[family].path.format(method=method),
                              import_custom_modules=False)
        backbone = cfg.model.backbone
        assert backbone.type == 'SSLResNet'
        assert backbone.method == method and backbone.checkpoint == method
        # the paper's detectron2 configs give each method its own normalisation (SimCLR: PIXEL_MEAN 0, PIXEL_STD 255);
        # its ADE20K and normals code ImageNet mean/std for all (mit_semseg/dataset.py, dataset_generic.py 'rgb')
        mean, std = (spec.mean, spec.std) if EXPERIMENT_FAMILIES[family].method_input else NORMALIZATIONS['imagenet']
        assert cfg.model.data_preprocessor.mean == pytest.approx(list(mean))
        assert cfg.model.data_preprocessor.std == pytest.approx(list(std))
        assert cfg.ssl_preprocessor == dict(mean=pytest.approx(list(spec.mean)), std=pytest.approx(list(spec.std)))
        assert 'mmssl_transfer.models' in cfg.custom_imports['imports']


def test_only_detection_feeds_each_method_its_own_input_normalisation():
    assert {name for name, family in EXPERIMENT_FAMILIES.items() if family.method_input} == {
        'det_frozen', 'det_finetune'}


def test_finetune_bases_are_generated_from_the_catalog_and_no_per_method_cls_configs_remain():
    from mmssl_transfer.config_generation import expected_files
    from mmssl_transfer.datasets.classification import ALL_MANY_SHOT_DATASETS
    generated = {p.relative_to(CONFIGS).as_posix() for p in expected_files(CONFIGS)}
    bases = {p for p in generated if p.startswith('_base_/cls/finetune_')}
    assert bases == {f'_base_/cls/finetune_{d}.py' for d in ALL_MANY_SHOT_DATASETS}  # the paper's 11, CLEVR count
    assert "test = CLEVR val" in (CONFIGS / '_base_/cls/finetune_clevr_count.py').read_text().splitlines()[0]
    assert not (CONFIGS / 'cls').exists()  # the sweep runs the dataset bases with --checkpoint/--method


def test_finetune_common_pipelines_are_the_shared_ones():
    from mmssl_transfer.datasets.classification.pipelines import finetune_pipelines
    cfg = Config.fromfile(CONFIGS / '_base_' / 'cls' / 'finetune_common.py', import_custom_modules=False)
    train, test = finetune_pipelines('rrc_flip')
    assert cfg.train_pipeline == train and cfg.test_pipeline == test
    assert cfg.train_dataloader.dataset.pipeline == train and cfg.test_dataloader.dataset.pipeline == test
