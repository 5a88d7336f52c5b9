"""Finetune sweep: each grid point an mmengine run, best point retrained on train+val, resume skips points; the
defaults are the paper's finetune.py (ssl-transfer, commit 416913f), every other setting a recorded variant."""
from pathlib import Path

import pytest

from mmssl_transfer.datasets.classification import ALL_MANY_SHOT_DATASETS, CLS_DATASETS
from mmssl_transfer.probes import finetune
from mmssl_transfer.probes.finetune import (GridPoint, SweepOptions, checkpoint_normalization, finetune_config,
                                            finetune_sweep, point_config)
from mmssl_transfer.results import read_result

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


def _opts(toy_cls, ckpt, work_dir, **kw):
    base = dict(config=str(CONFIGS / '_base_/cls/finetune_dtd.py'), work_dir=str(work_dir), lrs=(0.1, 0.01),
                wds=(1e-4,), augmentation='center_crop', max_iters=2, batch_size=4, image_size=32,
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
    assert result.paper_protocol is False
    assert result.hparams['variant'] == ('lrs=0.1,0.01+wds=0.0001+augmentation=center_crop+steps=2+'
                                         'total_batch_size=4+image_size=32')
    assert (result.hparams['steps'], result.hparams['total_batch_size'], result.hparams['world_size']) == (2, 4, 1)
    # resume: every point (and the final run) finished -> no Runner at all
    monkeypatch.setattr(finetune, 'run_point', lambda *a, **k: pytest.fail('finished point rerun'))
    again = finetune_sweep(opts)
    assert again.metrics == result.metrics and again.hparams == result.hparams


def test_from_scratch_with_labels_per_class(toy_cls, toy_ckpt, tmp_path):
    opts = _opts(toy_cls, toy_ckpt, tmp_path, lrs=(0.1,), from_scratch=True, labels_per_class=2, max_iters=1)
    result = finetune_sweep(opts)
    assert result.method == 'scratch' and result.checkpoint_sha256 == ''
    assert result.protocol == 'finetune-2perclass-scratch' and result.hparams['labels_per_class'] == 2


@pytest.mark.parametrize('dataset', ALL_MANY_SHOT_DATASETS)  # the paper's 11 and CLEVR count
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
    # finetune.py L496 (-b 64, one process) and L500 (--steps 5000): 64 images per step on any number of GPUs
    assert cfg.train_cfg.max_iters == 5000 and cfg.train_dataloader.batch_size == 64
    assert cfg.transfer_task.total_batch_size == 64 and cfg.transfer_task.variant == 'paper'
    assert cfg.model.head.init_cfg is None  # finetune.py L108: nn.Linear's own init
    assert 'paramwise_cfg' not in cfg.optim_wrapper  # L115: weight decay on every parameter, BN and biases too
    train, test = finetune_pipelines('rrc_flip', 224, in_memory=images_in_memory(spec), dataset=dataset)
    assert cfg.train_dataloader.dataset.pipeline == train
    assert cfg.val_dataloader.dataset.pipeline == cfg.test_dataloader.dataset.pipeline == test
    assert finetune_config(dataset).endswith(f'_base_/cls/finetune_{dataset}.py')


def test_simclr_checkpoint_gets_unit_normalisation(toy_checkpoints, toy_cls, tmp_path):
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    opts = _opts(toy_cls, toy_checkpoint_path(toy_checkpoints, 'simclrv1'), tmp_path, method='auto')
    assert checkpoint_normalization(opts) == dict(mean=[0.0, 0.0, 0.0], std=[255.0, 255.0, 255.0])
    assert checkpoint_normalization(_opts(toy_cls, None, tmp_path, from_scratch=True)) is None


def test_the_default_grid_is_the_papers_20_points_and_augmentation_is_a_fixed_flag(tmp_path):
    # finetune.py L519-521: lr = logspace(-4, -1, 4).flip (0.1 first), wd = [0] + logspace(-6, -3, 4), the grid
    # [(l, w / l) for l in lr for w in wd]: 20 points, lr outer; L501/L507: --no-da off, so RandomResizedCrop + flip
    # (L338-343) trains every point and is never selected on val
    opts = SweepOptions(config=finetune_config('dtd'), work_dir=str(tmp_path))
    grid = opts.grid()
    assert len(grid) == 20 and {p.aug for p in grid} == {'rrc_flip'}
    assert [(p.lr, p.wd) for p in grid] == [(lr, wd) for lr in (0.1, 0.01, 0.001, 0.0001)
                                            for wd in (0.0, 1e-6, 1e-5, 1e-4, 1e-3)]
    assert grid[7].sgd_weight_decay == pytest.approx(1e-5 / 0.01)  # L521: SGD gets w / l
    no_da = SweepOptions(config=opts.config, work_dir=str(tmp_path), augmentation='center_crop').grid()
    assert len(no_da) == 20 and {p.aug for p in no_da} == {'center_crop'}
    searched = SweepOptions(config=opts.config, work_dir=str(tmp_path), search_augmentation=True).grid()
    assert len(searched) == 40 and searched[:20] == grid  # the variant: both augmentations, selected on val
    with pytest.raises(ValueError, match='rrc_flip'):
        SweepOptions(config=opts.config, work_dir=str(tmp_path), augmentation='mixup')


def _head(cfg):
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        head = MODELS.build(cfg.model.head)
    head.init_weights()
    return head


def test_head_init_is_nn_linears_default_and_normal_is_the_variant(toy_cls, toy_ckpt, tmp_path):
    """finetune.py L108: nn.Linear(feature_dim, num_classes) keeps PyTorch's init (weights and bias uniform in
    +-1/sqrt(fan_in)); mmpretrain's LinearClsHead would draw Normal(std=0.01) weights and zero the bias."""
    from mmengine.config import Config

    import mmssl_transfer.models  # noqa: F401
    opts = _opts(toy_cls, toy_ckpt, tmp_path)
    base = Config.fromfile(opts.config)
    head = _head(point_config(base, opts, GridPoint(0.01, 0.0, 'rrc_flip'), final=False)).fc
    bound = 1 / head.in_features ** 0.5
    assert head.in_features == 256 and head.bias.abs().max() > 0
    assert head.weight.abs().max() <= bound and head.bias.abs().max() <= bound
    assert head.weight.std().item() == pytest.approx(bound / 3 ** 0.5, rel=0.1)  # uniform(-b, b), not N(0, 0.01)
    normal = _head(point_config(base, _opts(toy_cls, toy_ckpt, tmp_path, head_init='normal'),
                                GridPoint(0.01, 0.0, 'rrc_flip'), final=False)).fc
    assert normal.bias.abs().max() == 0 and normal.weight.std().item() == pytest.approx(0.01, rel=0.1)


def test_voc_loss_is_bce_averaged_over_images_and_classes_as_the_paper():
    """finetune.py L111: nn.BCEWithLogitsLoss() (mean over the batch x 20 classes), difficult objects negative."""
    import torch
    from mmengine.config import Config
    from mmpretrain.structures import DataSample

    import mmssl_transfer.models  # noqa: F401
    cfg = Config.fromfile(finetune_config('voc2007'))
    head = _head(cfg)
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(6, 2048, generator=gen)
    targets = (torch.rand(6, 20, generator=gen) > 0.8).float()
    samples = [DataSample().set_gt_label(torch.nonzero(t).flatten().tolist()) for t in targets]
    loss = head.loss((feats,), samples)['loss']
    expected = torch.nn.functional.binary_cross_entropy_with_logits(head.fc(feats), targets)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)


def test_batch_is_the_configs_total_and_the_sweep_keeps_it_in_every_point(toy_cls, toy_ckpt, tmp_path):
    from mmengine.config import Config
    opts = _opts(toy_cls, toy_ckpt, tmp_path, batch_size=None)
    base = Config.fromfile(opts.config)
    for final in (False, True):
        cfg = point_config(base, opts, GridPoint(0.1, 0.0, 'rrc_flip'), final=final)
        assert cfg.train_dataloader.batch_size == cfg.transfer_task.total_batch_size == 64
    cfg = point_config(base, _opts(toy_cls, toy_ckpt, tmp_path, batch_size=8), GridPoint(0.1, 0.0, 'rrc_flip'),
                       final=True)
    assert cfg.train_dataloader.batch_size == cfg.transfer_task.total_batch_size == 8


def test_finetune_val_is_the_papers_held_out_20_percent_and_the_final_run_trains_on_all_of_train(
        tmp_path, toy_ckpt):
    """finetune.py L384-392: np.random.seed(0); np.random.shuffle(range(N)); val = the first floor(0.2 N),
    train = the rest; L404-407: train+val = the whole training set (for datasets without an official val)."""
    import numpy as np
    from mmengine.config import Config

    from mmssl_transfer.datasets.classification import build_cls_dataset
    from mmssl_transfer.toy.classification import make_toy_classification
    root = make_toy_classification(tmp_path / 'data', datasets=('pets',)) / 'pets'
    opts = SweepOptions(config=finetune_config('pets'), work_dir=str(tmp_path), data_root=str(root),
                        checkpoint=str(toy_ckpt))
    base = Config.fromfile(opts.config)
    search = point_config(base, opts, GridPoint(0.1, 0.0, 'rrc_flip'), final=False)
    final = point_config(base, opts, GridPoint(0.1, 0.0, 'rrc_flip'), final=True)

    def paths(dataset_cfg):
        kwargs = {k: v for k, v in dataset_cfg.items() if k not in ('type', 'data_root', 'split', 'pipeline')}
        ds = build_cls_dataset('pets', dataset_cfg['data_root'], dataset_cfg['split'], **kwargs)
        return [ds.get_data_info(i)['img_path'] for i in range(len(ds))]
    everything = paths(final.train_dataloader.dataset)
    np.random.seed(0)
    order = list(range(len(everything)))
    np.random.shuffle(order)
    split = int(np.floor(0.2 * len(everything)))
    assert sorted(paths(search.val_dataloader.dataset)) == sorted(everything[i] for i in order[:split])
    assert sorted(paths(search.train_dataloader.dataset)) == sorted(everything[i] for i in order[split:])
    # the final run starts again from the pretrained checkpoint (finetune.py L246-251), not from a search run:
    # it resumes only from checkpoints of its own folder (a killed final run), never a search point's
    assert final.model.backbone.checkpoint == str(toy_ckpt) and not final.get('load_from')
    assert Path(final.work_dir).name.startswith('final_') and Path(final.work_dir) != Path(search.work_dir)


def _fake_run_point(world_size=1):
    """Stands in for training: reads the protocol knobs off the config as the Runner would run them."""
    def run(cfg, final):
        lr = cfg.optim_wrapper.optimizer.lr
        return {'metrics': {'top1': 50 + 100 * lr, 'ece': 3.0}, 'method': 'mocov2', 'sha256': 'ab' * 32,
                'training': {'batch_per_process': cfg.train_dataloader.batch_size, 'world_size': world_size,
                             'accumulative_counts': 1, 'steps': cfg.train_cfg.max_iters,
                             'total_batch_size': cfg.train_dataloader.batch_size * world_size,
                             'head_init': cfg.model.head.init_cfg}}
    return run


def test_only_the_papers_settings_make_a_paper_record_and_each_variant_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(finetune, 'run_point', _fake_run_point())
    paper = finetune_sweep(SweepOptions(config=finetune_config('dtd'), work_dir=str(tmp_path / 'paper')))
    assert paper.paper_protocol is True and paper.hparams['variant'] == 'paper'
    assert (paper.hparams['lr'], paper.hparams['aug'], paper.hparams['grid_size']) == (0.1, 'rrc_flip', 20)
    assert paper.hparams['steps'] == 5000 and paper.hparams['total_batch_size'] == 64
    assert paper.hparams['head_init'] == 'paper'
    assert paper.metrics['ece'] == 3.0 and paper.extra['calibration']['in_paper_code'] is False
    variants = {'search': (dict(search_augmentation=True), 'search_augmentation=True'),
                'no_da': (dict(augmentation='center_crop'), 'augmentation=center_crop'),
                'normal': (dict(head_init='normal'), 'head_init=normal'),
                'batch': (dict(batch_size=256), 'total_batch_size=256'),
                'options': (dict(cfg_options={'model.neck': None}), 'cfg_options=model.neck')}
    for name, (options, variant) in variants.items():
        result = finetune_sweep(SweepOptions(config=finetune_config('dtd'), work_dir=str(tmp_path / name),
                                             **options))
        assert result.paper_protocol is False and result.hparams['variant'] == variant, name
    assert len(finetune_sweep(SweepOptions(config=finetune_config('dtd'), work_dir=str(tmp_path / 'search'),
                                           search_augmentation=True)).extra['val_grid']) == 40


def test_a_total_batch_that_the_launcher_did_not_split_is_recorded_as_run(tmp_path, monkeypatch):
    """Eight processes each taking the config's 64 train at 512 per step, not the paper's 64: the record says so."""
    monkeypatch.setattr(finetune, 'run_point', _fake_run_point(world_size=8))
    result = finetune_sweep(SweepOptions(config=finetune_config('dtd'), work_dir=str(tmp_path)))
    assert result.hparams['total_batch_size'] == 512 and result.hparams['world_size'] == 8
    assert result.paper_protocol is False and result.hparams['variant'] == 'total_batch_size=512'


def test_ties_on_val_keep_the_first_point_of_the_papers_order(tmp_path, monkeypatch):
    """finetune.py L223-240: best_score starts at 0 and only a strictly greater val score replaces the best, in
    grid order (lr 0.1 first, wd 0 first): equal scores keep the earliest point."""
    def run(cfg, final):
        record = _fake_run_point()(cfg, final)
        record['metrics']['top1'] = 42.0
        return record
    monkeypatch.setattr(finetune, 'run_point', run)
    result = finetune_sweep(SweepOptions(config=finetune_config('dtd'), work_dir=str(tmp_path)))
    assert (result.hparams['lr'], result.hparams['wd']) == (0.1, 0.0)


def test_a_killed_grid_point_resumes_from_its_latest_checkpoint(toy_cls, toy_ckpt, tmp_path, monkeypatch):
    from mmengine.config import Config
    monkeypatch.setattr(finetune, 'POINT_CHECKPOINT_EVERY', 2)
    base = Config.fromfile(str(CONFIGS / '_base_/cls/finetune_dtd.py'))
    point = GridPoint(0.01, 1e-4, 'center_crop')
    cfg = point_config(base, _opts(toy_cls, toy_ckpt, tmp_path, max_iters=4), point, final=False)
    assert cfg.default_hooks.checkpoint.interval == 2 and cfg.resume and cfg.load_from is None
    # a point killed after step 2: its folder holds that checkpoint and no point.json
    finetune.run_point(point_config(base, _opts(toy_cls, toy_ckpt, tmp_path, max_iters=2), point, final=False),
                       final=False)
    folder = tmp_path / point.name
    (folder / 'point.json').unlink()
    assert sorted(p.name for p in folder.glob('iter_*.pth')) == ['iter_2.pth']
    finetune.run_point(cfg, final=False)
    logs = '\n'.join(p.read_text() for p in folder.glob('*/*.log'))
    assert 'resumed' in logs.lower() and 'iter_2.pth' in logs  # steps 3-4 only, not a restart from 0
    assert sorted(p.name for p in folder.glob('iter_*.pth')) == ['iter_4.pth'] and (folder / 'point.json').exists()
