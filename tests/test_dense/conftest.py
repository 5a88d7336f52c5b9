"""Toy dense-prediction world: toy ADE20K / NYUv2-normals trees and CPU-sized copies of the real configs.

A shrunken config is the real ``configs/_base_/seg|normals`` composition with a width-8 SSLResNet (the toy
checkpoints), 16-channel heads, ~48x64 inputs, two iterations and no data-loader workers, dumped to a file so
that it runs exactly as a user's config would.
"""
from pathlib import Path

import pytest
from mmengine.config import Config

from tests.conftest import TOY_WIDTH

REPO = Path(__file__).parents[2]
STAGE_WIDTHS = [4 * TOY_WIDTH * 2**i for i in range(4)]


#: Short sides of the shrunken multi-scale test (the paper's five, scaled to the 48x64 toy images).
TOY_TEST_SHORT_SIDES = (24, 32, 40, 48, 56)


def _shrink_common(cfg: Config, max_iters: int, scales: list, test_scale=None) -> None:
    cfg.merge_from_dict({
        'model.backbone.base_channels': TOY_WIDTH,
        'model.decode_head.channels': 16,
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_interval': 10_000,
        'default_hooks.checkpoint.interval': max_iters,
        'default_hooks.logger.interval': 1,
        'log_processor.window_size': 1,
    })
    cfg.param_scheduler[0].end = max_iters
    cfg.default_hooks.pop('visualization', None)
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.num_workers = 0
        loader.persistent_workers = False
        for step in loader.dataset.pipeline:
            if step.type in ('RandomChoiceResize', 'BatchRandomChoiceResize'):
                step.scales = scales
            elif step.type == 'Resize' and test_scale is not None:
                step.scale = test_scale
            elif step.type == 'ShortSideResizeToMultiple':
                step.short_side = 40


def shrink_seg_config(config: Path, out: Path, max_iters: int = 2) -> Path:
    """CPU-sized copy of an ADE20K UPerNet config."""
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict({'model.decode_head.in_channels': STAGE_WIDTHS})
    _shrink_common(cfg, max_iters, scales=[(80, 40), (80, 48)], test_scale=(80, 48))
    for step, short in zip(cfg.tta_pipeline[1].transforms[0], TOY_TEST_SHORT_SIDES, strict=True):
        step.short_side, step.max_long_side = short, 100
    cfg.dump(str(out))
    return out


def shrink_normals_config(config: Path, out: Path, max_iters: int = 2, **overrides) -> Path:
    """CPU-sized copy of an NYUv2 normals config."""
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict({'model.decode_head.in_channels': STAGE_WIDTHS[-1], 'train_dataloader.batch_size': 2,
                         **overrides})
    _shrink_common(cfg, max_iters, scales=[(80, 40), (80, 48)])
    cfg.dump(str(out))
    return out


@pytest.fixture(scope='session')
def toy_ade20k(tmp_path_factory) -> Path:
    from mmssl_transfer.toy import make_toy
    return make_toy('ade20k', tmp_path_factory.mktemp('toy'), seed=0, num_train=4, num_val=2)


@pytest.fixture(scope='session')
def toy_nyuv2(tmp_path_factory) -> Path:
    from mmssl_transfer.toy import make_toy
    return make_toy('nyuv2', tmp_path_factory.mktemp('toy'), seed=0, num_train=4, num_test=2)


@pytest.fixture(scope='session')
def byol_toy_checkpoint(toy_checkpoints) -> Path:
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    return Path(toy_checkpoint_path(toy_checkpoints, 'byol'))
