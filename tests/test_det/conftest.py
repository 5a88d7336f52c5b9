"""Toy detection world shared by the end-to-end tests: a toy VOC tree and shrunken copies of the det configs.

The shrunken config is the real ``configs/det/byol_<protocol>_voc.py`` with width-8 backbone channels, a
32-channel FPN/head, ~128-px inputs, fewer proposals and no data-loader workers, dumped to a file so that the
tools run it exactly as a user's config.
"""
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

from tests.conftest import TOY_WIDTH

REPO = Path(__file__).parents[2]
TOY_SCALES = [(160, 96), (160, 112), (160, 128)]


def shrink_det_config(config: Path, out: Path, max_iters: int = 4, warmup_iters: int = 2) -> Path:
    """Write a CPU-sized copy of a det config (same model classes, data and protocol) to ``out``."""
    cfg = Config.fromfile(str(config))
    width = [4 * TOY_WIDTH * 2**i for i in range(4)]
    cfg.merge_from_dict({
        'model.backbone.base_channels': TOY_WIDTH,
        'model.neck.in_channels': width,
        'model.neck.out_channels': 32,
        'model.rpn_head.in_channels': 32,
        'model.rpn_head.feat_channels': 32,
        'model.roi_head.bbox_roi_extractor.out_channels': 32,
        'model.roi_head.bbox_head.in_channels': 32,
        'model.roi_head.bbox_head.fc_out_channels': 64,
        'model.train_cfg.rpn_proposal.nms_pre': 300,
        'model.train_cfg.rpn_proposal.max_per_img': 100,
        'model.train_cfg.rcnn.sampler.num': 64,
        'model.test_cfg.rpn.nms_pre': 300,
        'model.test_cfg.rpn.max_per_img': 100,
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_begin': 10**9,  # no validation inside these short runs; tools/test.py evaluates
        'test_evaluator.nproc': 1,
        'val_evaluator.nproc': 1,
        'default_hooks.checkpoint.interval': 2,
        'default_hooks.logger.interval': 1,
        'log_processor.window_size': 1,
    })
    cfg.param_scheduler[0].end = warmup_iters
    cfg.param_scheduler[1].end = max_iters
    cfg.param_scheduler[1].milestones = [max_iters * 10]
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.num_workers = 0
        loader.persistent_workers = False
        datasets = loader.dataset.get('datasets', [loader.dataset])
        for dataset in datasets:
            for step in dataset.pipeline:
                if step.type == 'RandomChoiceResize':
                    step.scales = TOY_SCALES
                elif step.type == 'Resize':
                    step.scale = (160, 128)
    cfg.dump(str(out))
    return out


@pytest.fixture(scope='session')
def toy_voc(tmp_path_factory) -> Path:
    """Toy VOCdevkit: 12 trainval images (6 VOC07 + 6 VOC12), 6 VOC07 test images, 96x128."""
    from mmssl_transfer.toy import make_toy
    return make_toy('voc', tmp_path_factory.mktemp('toy'), seed=0, num_train=12, num_test=6)


@pytest.fixture(scope='session')
def byol_toy_checkpoint(toy_checkpoints) -> Path:
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    return Path(toy_checkpoint_path(toy_checkpoints, 'byol'))


@pytest.fixture(scope='session')
def toy_det_configs(tmp_path_factory) -> dict[str, Path]:
    """{'frozen': path, 'finetune': path} of the shrunken byol det configs."""
    folder = tmp_path_factory.mktemp('configs')
    return {p: shrink_det_config(REPO / 'configs' / 'det' / f'byol_{p}_voc.py', folder / f'toy_byol_{p}_voc.py')
            for p in ('frozen', 'finetune')}


def tool_command(tool: str, *args) -> list[str]:
    return [sys.executable, str(REPO / 'tools' / tool), *map(str, args)]
