"""The recognition probes on ViT rows: linear, few-shot and finetune run on a tiny ViT file written as DINO/MAE write
theirs, with the benchmark-wide feature by default, the method's own feature as a named variant, and the cache keyed
on the feature definition."""
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vit_reference import authors_model, write_release  # noqa: E402

from mmssl_transfer.probes.experiments import fewshot_results, linear_probe_result  # noqa: E402
from mmssl_transfer.probes.features import ExtractionSpec, cached_features  # noqa: E402
from mmssl_transfer.probes.finetune import GridPoint, SweepOptions, point_config  # noqa: E402

SPEC = ExtractionSpec(resize=32, crop=32)
CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


@pytest.fixture(scope='module')
def vit_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp('vit')
    return {'dino': write_release(authors_model('dino_vits16', depth=4), folder / 'dino_deitsmall16_pretrain.pth',
                                  'dino'),
            'mae': write_release(authors_model('mae_vitb16', depth=2), folder / 'mae_pretrain_vit_base.pth', 'mae')}


def _features(toy_cls, ckpt, cache, feature='default', split='train'):
    return cached_features(cache, ckpt, 'dtd', split, data_root=str(toy_cls / 'dtd'), base_channels=8, spec=SPEC,
                           batch_size=16, num_workers=0, device='cpu', progress=False, feature=feature)


def test_feature_definitions_have_their_widths_and_are_cached_apart(toy_cls, vit_files, tmp_path):
    default = _features(toy_cls, vit_files['dino'], tmp_path)
    own = _features(toy_cls, vit_files['dino'], tmp_path, feature='method')  # DINO ViT-S: last-4 CLS
    assert default.features.shape == (50, 48) and own.features.shape == (50, 96)
    files = sorted(p.name for p in (tmp_path / 'dtd' / 'train').glob('*.safetensors'))
    assert len(files) == 2
    # the last of the 4 CLS tokens is the default feature's CLS half
    torch.testing.assert_close(own.features[:, -24:], default.features[:, :24])
    with pytest.raises(ValueError, match='unknown ViT feature'):
        _features(toy_cls, vit_files['dino'], tmp_path, feature='gap')


def test_linear_probe_on_a_vit_records_the_feature_and_its_variant(toy_cls, vit_files, tmp_path):
    common = dict(data_root=str(toy_cls / 'dtd'), base_channels=8, spec=SPEC, batch_size=16, num_workers=0,
                  device='cpu', wds=(1e-2, 1.0), max_iter=50)
    default = linear_probe_result(str(vit_files['dino']), 'dtd', str(tmp_path), **common)
    assert default.method == 'dino_vits16' and default.extra['feature'] == 'cls_patch_mean'
    assert default.extra['feature_dim'] == 48 and 'feature=' not in default.hparams['variant']
    mae = linear_probe_result(str(vit_files['mae']), 'dtd', str(tmp_path), feature='method', **common)
    assert mae.method == 'mae_vitb16' and mae.extra['feature'] == 'cls_bn'
    assert 'feature=cls_bn' in mae.hparams['variant'] and not mae.paper_protocol


def test_fewshot_on_a_vit(toy_cls, vit_files, tmp_path):
    results, _ = fewshot_results(str(vit_files['dino']), 'dtd', str(tmp_path), shots=(5,), n_episodes=5,
                                 n_query=2, data_root=str(toy_cls / 'dtd'), base_channels=8, image_size=32,
                                 batch_size=16, num_workers=0, device='cpu', feature='cls')
    assert len(results) == 1 and 0 <= results[0].value <= 100
    assert results[0].extra['feature'] == 'cls' and 'feature=cls' in results[0].hparams['variant']


def test_finetune_config_of_a_vit_row_trains_sslvit_with_the_benchmark_feature(toy_cls, vit_files, tmp_path):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import mmssl_transfer.models  # noqa: F401
    opts = SweepOptions(config=str(CONFIGS / '_base_/cls/finetune_dtd.py'), work_dir=str(tmp_path), max_iters=1,
                        batch_size=2, image_size=32, checkpoint=str(vit_files['dino']), base_channels=8,
                        data_root=str(toy_cls / 'dtd'), num_workers=0)
    cfg = point_config(Config.fromfile(opts.config), opts, GridPoint(0.01, 1e-4, 'rrc_flip'), final=False)
    assert cfg.model.backbone.type == 'SSLViT' and cfg.model.backbone.method == 'dino_vits16'
    assert cfg.model.neck is None and cfg.model.head.in_channels == 48
    assert cfg.optim_wrapper.optimizer.type == 'SGD'  # the paper's grid and optimiser
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    logits = model(torch.randn(2, 3, 32, 32), mode='tensor')
    assert logits.shape == (2, 47)


def test_adamw_layer_decay_is_a_named_finetune_variant_decaying_lr_with_depth(toy_cls, vit_files, tmp_path):
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import mmssl_transfer.models  # noqa: F401
    from mmssl_transfer.tasks import PAPER_FINETUNE_PROTOCOL
    opts = SweepOptions(config=str(CONFIGS / '_base_/cls/finetune_dtd.py'), work_dir=str(tmp_path), max_iters=1,
                        batch_size=2, image_size=32, checkpoint=str(vit_files['dino']), base_channels=8,
                        data_root=str(toy_cls / 'dtd'), num_workers=0, optimizer='adamw-layer-decay')
    assert PAPER_FINETUNE_PROTOCOL['optimizer'] == 'paper'
    cfg = point_config(Config.fromfile(opts.config), opts, GridPoint(0.01, 1e-4, 'rrc_flip'), final=False)
    assert cfg.optim_wrapper['optimizer'] == dict(type='AdamW', betas=(0.9, 0.999), lr=0.01, weight_decay=1e-4)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lr_of = {name: group['lr'] for group in wrapper.optimizer.param_groups for name in group.get('param_names', [])}
    if not lr_of:  # mmpretrain's constructor keeps one group per parameter, in model order
        names = [n for n, p in model.named_parameters() if p.requires_grad]
        lr_of = dict(zip(names, (g['lr'] for g in wrapper.optimizer.param_groups)))
    first, last = lr_of['backbone.layers.0.attn.qkv.weight'], lr_of['backbone.layers.3.attn.qkv.weight']
    assert lr_of['backbone.patch_embed.projection.weight'] < first < last < lr_of['head.fc.weight'] == 0.01
    assert last == pytest.approx(0.01 * 0.65)
