"""Finetune sweep: each grid point an mmengine run, best point retrained on train+val, resume skips points."""
from pathlib import Path

import pytest

from mmssl_transfer.datasets.classification import CLS_DATASETS, MANY_SHOT_DATASETS
from mmssl_transfer.probes import finetune
from mmssl_transfer.probes.finetune import (GridPoint, SweepOptions, checkpoint_normalization, finetune_config,
                                            finetune_sweep, point_config)
from mmssl_transfer.results import read_result

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


def _opts(toy_cls, ckpt, work_dir, **kw):
    base = dict(config=str(CONFIGS / '_base_/cls/finetune_dtd.py'), work_dir=str(work_dir), lrs=(0.1, 0.01),
                wds=(1e-4,), augs=('center_crop',), max_iters=2, batch_size=4, image_size=32,
                checkpoint=str(ckpt), method='mocov2', base_channels=8, data_root=str(toy_cls / 'dtd'),
                num_workers=0)
    return SweepOptions(**{**base, **kw})


def test_point_config_sets_the_protocol_knobs(toy_cls, toy_ckpt, tmp_path):
    from mmengine.config import Config
    opts = _opts(toy_cls, toy_ckpt, tmp_path)
    base = Config.fromfile(opts.config)
    cfg = point_config(base, opts, GridPoint(0.01, 1e-4, 'rrc_flip'), final=True)
    assert cfg.optim_wrapper.optimizer.weight_decay == pytest.approx(1e-4 / 0.01)
    assert cfg.optim_wrapper.optimizer.nesterov and cfg.optim_wrapper.optimizer.momentum == 0.9
    assert cfg.train_dataloader.dataset.split == 'trainval' and cfg.test_dataloader.dataset.split == 'test'
    assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline][1:3] == ['RandomResizedCrop', 'RandomFlip']
    assert cfg.param_scheduler[0]['type'] == 'CosineAnnealingLR' and not cfg.param_scheduler[0]['by_epoch']
    assert cfg.model.head.in_channels == 256 and cfg.model.backbone.frozen_stages == -1
    assert not cfg.model.backbone.norm_eval


def test_sweep_selects_retrains_writes_result_and_resumes(toy_cls, toy_ckpt, tmp_path, monkeypatch):
    opts = _opts(toy_cls, toy_ckpt, tmp_path)
    result = finetune_sweep(opts)
    assert read_result(tmp_path / 'result.json').to_dict() == result.to_dict()
    assert (result.task, result.dataset, result.protocol, result.method) == ('finetune', 'dtd', 'finetune', 'mocov2')
    assert len(result.checkpoint_sha256) == 64 and result.primary_metric == 'top1'
    assert [p['lr'] for p in result.extra['val_grid']] == [0.1, 0.01]
    assert result.hparams['sgd_weight_decay'] == pytest.approx(result.hparams['wd'] / result.hparams['lr'])
    assert {'ece', 'ece_temperature_scaled', 'temperature'} <= set(result.metrics)
    assert (tmp_path / f"final_lr{result.hparams['lr']:g}_wd0.0001_center_crop" / 'point.json').exists()
    # resume: every point (and the final run) finished -> no Runner at all
    monkeypatch.setattr(finetune, 'run_point', lambda *a, **k: pytest.fail('finished point rerun'))
    again = finetune_sweep(opts)
    assert again.metrics == result.metrics and again.hparams == result.hparams


def test_from_scratch_with_labels_per_class(toy_cls, toy_ckpt, tmp_path):
    opts = _opts(toy_cls, toy_ckpt, tmp_path, lrs=(0.1,), from_scratch=True, labels_per_class=2, max_iters=1)
    result = finetune_sweep(opts)
    assert result.method == 'scratch' and result.checkpoint_sha256 == ''
    assert result.protocol == 'finetune-2perclass-scratch' and result.hparams['labels_per_class'] == 2


@pytest.mark.parametrize('dataset', MANY_SHOT_DATASETS)
def test_dataset_configs_state_the_catalog_and_the_shared_pipelines(dataset):
    from mmengine.config import Config

    from mmssl_transfer.config_generation import images_in_memory
    from mmssl_transfer.datasets.classification.pipelines import finetune_pipelines
    cfg = Config.fromfile(finetune_config(dataset))
    spec = CLS_DATASETS[dataset]
    assert cfg.default_scope == 'mmpretrain' and cfg.model.backbone.type == 'SSLResNet'
    assert cfg.model.head.num_classes == spec.num_classes and cfg.model.backbone.norm_eval is False
    assert cfg.train_dataloader.dataset.type == spec.type and cfg.val_dataloader.dataset.split == 'val'
    assert cfg.train_dataloader.dataset.data_root == spec.data_root
    assert cfg.val_evaluator.metric == cfg.transfer_task.primary_metric == spec.metric
    assert cfg.train_cfg.max_iters == 5000 and cfg.train_dataloader.batch_size == 64
    train, test = finetune_pipelines('rrc_flip', 224, in_memory=images_in_memory(spec), dataset=dataset)
    assert cfg.train_dataloader.dataset.pipeline == train
    assert cfg.val_dataloader.dataset.pipeline == cfg.test_dataloader.dataset.pipeline == test
    assert finetune_config(dataset).endswith(f'_base_/cls/finetune_{dataset}.py')


def test_simclr_checkpoint_gets_unit_normalisation(toy_checkpoints, toy_cls, tmp_path):
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    opts = _opts(toy_cls, toy_checkpoint_path(toy_checkpoints, 'simclrv1'), tmp_path, method='auto')
    assert checkpoint_normalization(opts) == dict(mean=[0.0, 0.0, 0.0], std=[255.0, 255.0, 255.0])
    assert checkpoint_normalization(_opts(toy_cls, None, tmp_path, from_scratch=True)) is None
