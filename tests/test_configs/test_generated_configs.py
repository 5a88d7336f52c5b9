"""The per-method configs are generated from the zoo, up to date, and each one loads with the right backbone."""
from pathlib import Path

import pytest
from mmengine.config import Config

from mmssl_transfer.checkpoints import ZOO
from mmssl_transfer.config_generation import EXPERIMENT_FAMILIES, stale_configs

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


def test_generated_configs_are_up_to_date():
    stale = stale_configs(CONFIGS)
    assert not stale, f'run python tools/generate_configs.py: {stale}'


@pytest.mark.parametrize('family', sorted(EXPERIMENT_FAMILIES))
def test_every_method_config_loads_with_its_backbone_and_normalisation(family):
    for method, spec in ZOO.items():
        cfg = Config.fromfile(CONFIGS / EXPERIMENT_FAMILIES[family].path.format(method=method),
                              import_custom_modules=False)
        backbone = cfg.model.backbone
        assert backbone.type == 'SSLResNet'
        assert backbone.method == method and backbone.checkpoint == method
        assert cfg.model.data_preprocessor.mean == pytest.approx(list(spec.mean))
        assert cfg.model.data_preprocessor.std == pytest.approx(list(spec.std))
        assert 'mmssl_transfer.models' in cfg.custom_imports['imports']
