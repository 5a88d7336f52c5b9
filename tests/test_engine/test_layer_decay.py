"""ViTLayerDecayOptimWrapperConstructor: the lr and weight decay of every parameter of a 2-block ViT + head, computed
by hand from the BEiT/MAE rule (lr * rate ** (L + 1 - depth); no decay on 1-D, tokens, position embeddings), and the
constructor found by name under the mmdet, mmseg and mmpretrain scopes."""
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from torch import nn

from mmssl_transfer.engine.layer_decay import ViTLayerDecayOptimWrapperConstructor
from mmssl_transfer.models.backbones.ssl_vit import SSLViT

LR, WD, RATE = 1.0, 0.05, 0.5


class TinyModel(nn.Module):
    """A backbone and a head, named as the OpenMMLab models name them."""

    def __init__(self, method: str = 'dino_vits16', frozen_stages: int = -1):
        super().__init__()
        self.backbone = SSLViT(method=method, toy=True, embed_dims=24, num_layers=2,
                               frozen_stages=frozen_stages)
        self.head = nn.Linear(self.backbone.feature_dim, 3)


def _cfg(**paramwise):
    return dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=LR, weight_decay=WD),
                constructor='ViTLayerDecayOptimWrapperConstructor',
                paramwise_cfg=dict(layer_decay_rate=RATE, **paramwise))


def _per_param(wrapper):
    return {name: (group['lr'], group['weight_decay']) for group in wrapper.optimizer.param_groups
            for name in group['param_names']}


def _hand_computed(model):
    """Depth by hand for L = 2: embeddings 0, block i at i + 1, final norm and head 3."""
    expected = {}
    for name, param in model.named_parameters():
        if name.startswith(('backbone.patch_embed', 'backbone.cls_token', 'backbone.pos_embed',
                            'backbone.register_tokens')):
            lr = RATE ** 3
        elif name.startswith('backbone.layers.0.'):
            lr = RATE ** 2
        elif name.startswith('backbone.layers.1.'):
            lr = RATE ** 1
        else:  # backbone.ln1, head
            lr = 1.0
        no_decay = (param.ndim == 1 or name.endswith(('.bias', 'cls_token', 'pos_embed', 'register_tokens')))
        expected[name] = (LR * lr, 0.0 if no_decay else WD)
    return expected


@pytest.mark.parametrize('method', ['dino_vits16', 'dinov2_vits14_reg4'])
def test_each_parameter_gets_the_hand_computed_lr_and_weight_decay(method):
    model = TinyModel(method)
    got = _per_param(build_optim_wrapper(model, _cfg()))
    expected = _hand_computed(model)
    assert got == expected  # powers of 1/2: exact in floating point
    # spot checks of the rule, written out
    assert got['backbone.patch_embed.projection.weight'] == pytest.approx((0.125, WD))
    assert got['backbone.pos_embed'] == pytest.approx((0.125, 0.0))
    assert got['backbone.layers.0.attn.qkv.weight'] == pytest.approx((0.25, WD))
    assert got['backbone.layers.1.ln1.weight'] == pytest.approx((0.5, 0.0))
    assert got['backbone.ln1.weight'] == pytest.approx((1.0, 0.0))
    assert got['head.weight'] == pytest.approx((1.0, WD)) and got['head.bias'] == pytest.approx((1.0, 0.0))
    if 'reg4' in method:
        assert got['backbone.register_tokens'] == pytest.approx((0.125, 0.0))


def test_groups_are_one_per_depth_and_decay_and_frozen_parameters_are_left_out():
    model = TinyModel(frozen_stages=1)  # embeddings and block 0 frozen
    wrapper = build_optim_wrapper(model, _cfg(num_layers=2))
    keys = [(g['layer_id'], g['weight_decay'] > 0) for g in wrapper.optimizer.param_groups]
    assert keys == [(2, True), (2, False), (3, True), (3, False)]
    names = {n for g in wrapper.optimizer.param_groups for n in g['param_names']}
    assert names == {n for n, p in model.named_parameters() if p.requires_grad}
    assert not any(n.startswith(('backbone.layers.0.', 'backbone.patch_embed')) for n in names)


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg', 'mmpretrain'])
def test_built_by_name_under_each_scope(scope):
    model = TinyModel()
    with DefaultScope.overwrite_default_scope(scope):
        wrapper = build_optim_wrapper(model, _cfg())
    assert _per_param(wrapper) == _hand_computed(model)


def test_a_recipe_for_another_depth_and_a_model_without_a_vit_are_errors():
    with pytest.raises(ValueError, match='num_layers=12 but the backbone has 2 blocks'):
        build_optim_wrapper(TinyModel(), _cfg(num_layers=12))
    with pytest.raises(TypeError, match='Sequential has no backbone with get_layer_depth'):
        build_optim_wrapper(nn.Sequential(nn.Linear(2, 2)), _cfg())
    with pytest.raises(ValueError, match='layer_decay_rate must be in'):
        ViTLayerDecayOptimWrapperConstructor(dict(optimizer=dict(type='AdamW', lr=1.)), dict(layer_decay_rate=1.5))
    with pytest.raises(ValueError, match="unknown paramwise_cfg keys \\['custom_keys'\\]"):
        ViTLayerDecayOptimWrapperConstructor(dict(optimizer=dict(type='AdamW', lr=1.)),
                                             dict(layer_decay_rate=0.65, custom_keys={}))


def test_a_step_moves_deeper_blocks_more():
    """With SGD (no momentum) the update is lr * grad: the scale of each group shows in the step."""
    torch.manual_seed(0)
    model = TinyModel()
    cfg = _cfg()
    cfg['optimizer'] = dict(type='SGD', lr=LR, weight_decay=0.0)
    wrapper = build_optim_wrapper(model, cfg)
    lrs = {n: lr for n, (lr, _) in _hand_computed(model).items()}
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    model.head(model.backbone(torch.randn(2, 3, 32, 32))[0]).sum().backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    wrapper.step()
    for name, param in model.named_parameters():
        torch.testing.assert_close(before[name] - param.detach(), lrs[name] * grads[name])
