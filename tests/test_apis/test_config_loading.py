"""Command-line overrides of tools/train.py and tools/test.py reach the dataset, the backbone and the runner."""
from pathlib import Path

import pytest

from mmssl_transfer.apis import LaunchError, load_config

CONFIGS = Path(__file__).parents[2] / 'configs'
FROZEN = str(CONFIGS / 'det' / 'byol_frozen_voc.py')


def dataset_roots(cfg):
    train = cfg.train_dataloader.dataset.datasets
    return [d.data_root for d in train] + [cfg.val_dataloader.dataset.data_root, cfg.test_dataloader.dataset.data_root]


def test_data_root_and_checkpoint_flags_reach_every_dataset_and_the_backbone(tmp_path):
    cfg = load_config(FROZEN, data_root='/my/VOCdevkit', checkpoint='/my/byol.pth', work_dir=str(tmp_path))
    assert dataset_roots(cfg) == ['/my/VOCdevkit'] * 4
    assert cfg.model.backbone.checkpoint == '/my/byol.pth'
    assert cfg.model.backbone.type == 'SSLResNet'
    assert cfg.work_dir == str(tmp_path)


def test_cfg_options_reach_dataset_and_backbone():
    cfg = load_config(FROZEN, cfg_options={
        'train_dataloader.dataset.datasets.0.data_root': '/elsewhere/VOCdevkit',
        'model.backbone.checkpoint': 'swav', 'model.backbone.frozen_stages': -1,
        'train_dataloader.batch_size': 4})
    assert dataset_roots(cfg)[0] == '/elsewhere/VOCdevkit'
    assert dataset_roots(cfg)[1] == 'data/VOCdevkit/'
    assert (cfg.model.backbone.checkpoint, cfg.model.backbone.frozen_stages) == ('swav', -1)
    assert cfg.train_dataloader.batch_size == 4


def test_default_work_dir_is_named_after_the_config():
    assert load_config(FROZEN).work_dir == './work_dirs/byol_frozen_voc'


def test_resume_amp_and_auto_scale_lr_flags(tmp_path):
    ckpt = tmp_path / 'iter_10.pth'
    ckpt.write_bytes(b'')
    cfg = load_config(FROZEN, resume=str(ckpt), amp=True, auto_scale_lr=True)
    assert (cfg.resume, cfg.load_from) == (True, str(ckpt))
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.auto_scale_lr == dict(enable=True, base_batch_size=2)  # the paper's total batch
    auto = load_config(FROZEN, resume='auto', launcher='pytorch')
    assert (auto.resume, auto.load_from, auto.launcher) == (True, None, 'pytorch')


def test_provenance_hook_is_added_once():
    cfg = load_config(FROZEN)
    assert [h.type for h in cfg.custom_hooks].count('BackboneProvenanceHook') == 1


def test_bad_overrides_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.py: config file not found'):
        load_config(str(tmp_path / 'nope.py'))
    with pytest.raises(FileNotFoundError, match='missing.pth: checkpoint to resume from not found'):
        load_config(FROZEN, resume=str(tmp_path / 'missing.pth'))
    other = tmp_path / 'plain.py'
    other.write_text("model = dict(backbone=dict(type='ResNet', depth=50))\n")
    with pytest.raises(LaunchError, match="--checkpoint needs model.backbone of type SSLResNet/SSLViT/SSLViTDet, "
                                          "found 'ResNet'"):
        load_config(str(other), checkpoint='byol')
    with pytest.raises(LaunchError, match='no data loader of this config has a data_root'):
        load_config(str(other), data_root='/data')


def test_result_record_from_metrics_strips_prefixes_and_falls_back_to_config_provenance():
    from mmssl_transfer.apis.runs import _provenance_from_config, make_result, transfer_task
    cfg = load_config(FROZEN)
    provenance = _provenance_from_config(cfg)
    assert provenance['method'] == 'byol' and provenance['sha256'] == ''
    result = make_result(cfg, transfer_task(cfg), {'pascal_voc/AP': 51.5, 'pascal_voc/AP50': 80.0,
                                                   'pascal_voc/AP75': 55.25}, provenance)
    assert result.metrics == {'AP': 51.5, 'AP50': 80.0, 'AP75': 55.25} and result.value == 51.5
    assert (result.task, result.dataset, result.protocol) == ('det', 'voc0712', 'frozen')
    assert result.hparams['lr'] == 0.0025 and result.hparams['frozen_stages'] == 3
    assert result.hparams['variant'] == 'paper' and result.hparams['total_batch_size'] == 2
    assert result.paper_protocol is True
    scratch = load_config(FROZEN, cfg_options={'model.backbone.checkpoint': None})
    assert _provenance_from_config(scratch)['method'] == 'random-init'


def test_config_without_transfer_task_cannot_write_a_result(tmp_path):
    from mmssl_transfer.apis.runs import transfer_task
    plain = tmp_path / 'plain.py'
    plain.write_text("model = dict(type='X')\n")
    with pytest.raises(LaunchError, match='needs transfer_task=dict'):
        transfer_task(load_config(str(plain)))
