"""``paper_protocol`` and the variant label follow from the effective run: the config after variants,
``--cfg-options`` and tool flags, diffed with the config the paper's protocol produces for the task family."""
from pathlib import Path

import pytest

from mmssl_transfer.apis import load_config
from mmssl_transfer.apis.protocol_diff import split_variant, variant_label
from mmssl_transfer.apis.runs import make_result, transfer_task
from mmssl_transfer.results import result_variant

CONFIGS = Path(__file__).parents[2] / 'configs'
FROZEN = str(CONFIGS / 'det' / 'byol_frozen_voc.py')
METRICS = {'pascal_voc/AP': 1.0}
PROVENANCE = {'method': 'byol', 'sha256': 'ab'}


def record(cfg, **kwargs):
    return make_result(cfg, transfer_task(cfg), METRICS, PROVENANCE, **kwargs)


def test_paths_workers_and_the_checkpoint_leave_the_paper_protocol(tmp_path):
    cfg = load_config(FROZEN, data_root='/my/VOCdevkit', checkpoint='/my/byol.pth', work_dir=str(tmp_path),
                      cfg_options={'train_dataloader.num_workers': 0, 'test_dataloader.persistent_workers': False,
                                   'default_hooks.logger.interval': 1, 'randomness.seed': 3,
                                   'train_cfg.val_interval': 7})
    result = record(cfg)
    assert result.paper_protocol is True and result.hparams['variant'] == 'paper'


@pytest.mark.parametrize('options, flags, label', [
    ({'train_cfg.max_iters': 4}, {}, 'cfg:train_cfg.max_iters=4'),
    ({'train_cfg.max_iters': 4, 'model.backbone.base_channels': 8}, {},
     'cfg:model.backbone.base_channels=8,train_cfg.max_iters=4'),
    ({'transfer_task.total_batch_size': 8, 'train_dataloader.batch_size': 8}, {},
     'cfg:train_dataloader.batch_size=8,transfer_task.total_batch_size=8'),
    ({'test_dataloader.dataset.pipeline.1.scale': (160, 128)}, {},
     'cfg:test_dataloader.dataset.pipeline.1.scale=[160,128]'),
    ({}, {'amp': True}, 'cfg:optim_wrapper.loss_scale=dynamic,optim_wrapper.type=AmpOptimWrapper'),
    ({}, {'auto_scale_lr': True}, 'cfg:auto_scale_lr.enable=true'),
])
def test_cfg_options_and_tool_flags_make_a_variant_naming_what_changed(options, flags, label):
    result = record(load_config(FROZEN, cfg_options=options, **flags))
    assert result.paper_protocol is False and result.hparams['variant'] == label


def test_named_variants_are_diffed_with_the_paper_config_of_the_same_variants():
    assert record(load_config(FROZEN, variants=['bs16-linear-scaling'])).hparams['variant'] == 'bs16-linear-scaling'
    cfg = load_config(FROZEN, variants=['bs16-linear-scaling'], cfg_options={'train_cfg.max_iters': 4})
    assert cfg.transfer_task.variant == 'bs16-linear-scaling+cfg:train_cfg.max_iters=4'


def test_a_users_own_config_is_diffed_with_the_paper_family_base(tmp_path):
    """The README's template (a backbone file + a per-task file) is the paper's protocol; a schedule edited in
    the file itself is not."""
    backbone = tmp_path / 'mynet.py'
    backbone.write_text("ssl_backbone = dict(method='auto', checkpoint='/w/my_ssl_r50.pth')\n"
                        'ssl_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])\n')
    mine = tmp_path / 'mynet_frozen_voc.py'
    head = (f"_base_ = ['{CONFIGS}/_base_/det/faster-rcnn_r50_fpn_voc0712_frozen.py', '{backbone}']\n"
            'model = dict(backbone={{_base_.ssl_backbone}}, data_preprocessor={{_base_.ssl_preprocessor}})\n')
    mine.write_text(head)
    assert record(load_config(str(mine))).paper_protocol is True
    mine.write_text(head + 'train_cfg = dict(max_iters=100)\n')
    assert record(load_config(str(mine))).hparams['variant'] == 'cfg:train_cfg.max_iters=100'


@pytest.mark.parametrize('config', ['seg/byol_upernet_ade20k.py', 'normals/byol_pspnet_nyuv2.py',
                                    'det/simclrv1_finetune_voc.py'])
def test_every_family_config_is_the_paper_protocol_as_committed(config):
    cfg = load_config(str(CONFIGS / config))
    assert cfg.transfer_task.variant == 'paper'
    shortened = load_config(str(CONFIGS / config), cfg_options={'param_scheduler.0.end': 4})
    assert shortened.transfer_task.variant == 'cfg:param_scheduler.0.end=4'


def test_training_and_test_changes_merge_key_by_key():
    train = 'flip-aug+cfg:model.neck.in_channels=[32,64,128,256],train_cfg.max_iters=4'
    test = 'cfg:model.neck.in_channels=[32,64,128,256]'
    merged = result_variant(test, train)
    assert merged == 'flip-aug+cfg:model.neck.in_channels=[32,64,128,256],train_cfg.max_iters=4'
    assert split_variant(merged) == (['flip-aug'], {'model.neck.in_channels': '[32,64,128,256]',
                                                    'train_cfg.max_iters': '4'})
    assert result_variant('paper', 'paper') == 'paper' == variant_label([], {})
    # a checkpoint trained shortened and tested as written is still the shortened variant
    result = record(load_config(FROZEN), train_variant='cfg:train_cfg.max_iters=4')
    assert result.paper_protocol is False and result.hparams['variant'] == 'cfg:train_cfg.max_iters=4'


def test_depth_is_diffed_with_its_default_normals_protocol():
    """Depth (not in the paper) runs its row's default, 'normals-protocol'; what a run changes from it is a cfg:
    component and a named variant (the toy world's) is diffed with the default plus that variant."""
    depth = str(CONFIGS / 'depth' / 'byol_pspnet_nyuv2_depth.py')
    cfg = load_config(depth)
    result = make_result(cfg, transfer_task(cfg), {'rmse': 0.5}, PROVENANCE)
    assert result.hparams['variant'] == 'normals-protocol' and result.paper_protocol is False
    assert load_config(depth, variants=['toy']).transfer_task.variant == 'toy'
    shortened = load_config(depth, cfg_options={'param_scheduler.0.end': 4})
    assert shortened.transfer_task.variant == 'cfg:param_scheduler.0.end=4'


def test_a_schedule_scaled_to_the_gpus_is_the_linear_scaling_variant_not_a_cfg_change():
    """Linear scaling rewrites lr, batch and iterations after the diff: recorded as linear-scaling-x<k> alone, and
    beside a cfg: component of the run's own overrides."""
    from mmssl_transfer.engine.linear_scaling import apply_linear_scaling
    cfg = load_config(FROZEN)
    apply_linear_scaling(cfg, 8)
    assert cfg.transfer_task.variant == 'linear-scaling-x8'
    shortened = load_config(FROZEN, cfg_options={'model.backbone.base_channels': 8})
    apply_linear_scaling(shortened, 8)
    assert split_variant(shortened.transfer_task.variant) == (['linear-scaling-x8'],
                                                              {'model.backbone.base_channels': '8'})
    tested = record(load_config(FROZEN), train_variant=shortened.transfer_task.variant)
    assert tested.hparams['variant'] == 'linear-scaling-x8+cfg:model.backbone.base_channels=8'
    assert tested.paper_protocol is False
