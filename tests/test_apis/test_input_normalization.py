"""A backbone's expected input normalisation against the config's data_preprocessor: a mismatch is an error
naming both, unless a named variant says so (imagenet-input, method-input)."""
from pathlib import Path

import pytest

from mmssl_transfer.apis import LaunchError, load_config
from mmssl_transfer.apis.input_normalization import check_input_normalization

CONFIGS = Path(__file__).parents[2] / 'configs'
IMAGENET = {'model.data_preprocessor.mean': [123.675, 116.28, 103.53],
            'model.data_preprocessor.std': [58.395, 57.12, 57.375]}
UNIT = {'model.data_preprocessor.mean': [0, 0, 0], 'model.data_preprocessor.std': [255, 255, 255]}


@pytest.mark.parametrize('config, variants, options, method', [
    ('det/simclrv1_frozen_voc.py', [], {}, 'simclrv1'),               # the paper: SimCLR on [0, 1] input
    ('det/simclrv1_frozen_voc.py', ['imagenet-input'], {}, 'simclrv1'),
    ('det/byol_frozen_voc.py', [], {}, 'ambiguous: supervised, barlowtwins, dino'),
    ('seg/simclrv1_upernet_ade20k.py', [], {}, 'simclrv1'),           # the paper's ADE20K: ImageNet's for all
    ('seg/simclrv1_upernet_ade20k.py', ['method-input'], {}, 'simclrv1'),
    ('normals/simclrv2_pspnet_nyuv2.py', [], {}, 'simclrv2'),
    ('det/byol_frozen_voc.py', [], {}, 'custom'),                     # unknown method: nothing to compare
])
def test_matching_normalisation_passes(config, variants, options, method):
    check_input_normalization(load_config(str(CONFIGS / config), variants=variants, cfg_options=options), method)


@pytest.mark.parametrize('config, variants, options, method, expected', [
    # the new user's case: README template (ImageNet mean/std) with a SimCLR checkpoint under the paper's det
    ('det/byol_frozen_voc.py', [], {}, 'simclrv1', r'expects \[0, 1\] input .*ImageNet|--variant imagenet-input'),
    ('det/simclrv1_frozen_voc.py', [], IMAGENET, 'simclrv1', r'--variant imagenet-input'),
    ('seg/byol_upernet_ade20k.py', [], UNIT, 'simclrv1', r'expects ImageNet mean/std .*--variant method-input'),
    ('seg/simclrv1_upernet_ade20k.py', ['method-input'], IMAGENET, 'simclrv1', r'expects \[0, 1\] input'),
    ('det/byol_frozen_voc.py', [], UNIT, 'ambiguous: supervised, barlowtwins, dino', r'expects ImageNet mean/std'),
])
def test_mismatch_is_one_error_naming_both(config, variants, options, method, expected):
    cfg = load_config(str(CONFIGS / config), variants=variants, cfg_options=options)
    with pytest.raises(LaunchError) as info:
        check_input_normalization(cfg, method)
    message = str(info.value)
    assert message.startswith(f'{cfg.filename}: backbone {method} ')
    assert 'but model.data_preprocessor has mean [' in message
    assert __import__('re').search(expected, message), message
