"""``ViTLayerDecayOptimWrapperConstructor``: layer-wise lr decay for any model whose backbone is the project's ViT.

The rule of BEiT (Bao et al. 2022, ``param_groups_lrd`` of MAE's ``util/lr_decay.py`` follows it): with ``L``
blocks, the patch embedding, CLS, register tokens and position embedding sit at depth 0, block ``i`` (0-based) at
``i + 1``, and the final norm and every parameter outside the backbone (neck, heads) at ``L + 1``; a parameter at
depth ``d`` trains at ``lr * layer_decay_rate ** (L + 1 - d)``. No weight decay on one-dimensional parameters (norms,
biases, LayerScale) nor on the position embedding, CLS/register/mask tokens and relative position tables (MAE's
``p.ndim == 1 or n in no_weight_decay_list``). Frozen parameters are left out.

Written for the project because the upstream constructors refuse or misread it: mmseg's
``LayerDecayOptimizerConstructor`` wants a backbone class named BEiT/MAE/ConvNeXt, mmpretrain's reads the depth only
from a model with ``get_layer_depth``. Depths come from the backbone's ``get_layer_depth``
(:meth:`mmssl_transfer.models.backbones.ssl_vit.SSLViT.get_layer_depth`), so the same constructor serves the
classifier (finetune variant), the segmentor, the depth/normal estimators and the detector. Registered in mmengine's
root ``OPTIM_WRAPPER_CONSTRUCTORS``, which the mmdet, mmseg and mmpretrain registries fall back to.

``paramwise_cfg`` keys: ``layer_decay_rate`` (required, in (0, 1]); ``num_layers`` (optional: asserts the
backbone's depth, so a ViT-B recipe on another depth fails instead of decaying wrongly); ``no_decay_names``
(optional: the last name components without weight decay, default :data:`NO_DECAY_NAMES`).

Example:
    >>> optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    ...                      constructor='ViTLayerDecayOptimWrapperConstructor',
    ...                      paramwise_cfg=dict(layer_decay_rate=0.65))
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Optional

from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
from torch import nn

#: Parameters (last component of the name) trained without weight decay besides every 1-D parameter.
NO_DECAY_NAMES: tuple[str, ...] = ('pos_embed', 'cls_token', 'register_tokens', 'mask_token', 'rel_pos_h',
                                   'rel_pos_w')
PARAMWISE_KEYS = ('layer_decay_rate', 'num_layers', 'no_decay_names')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ViTLayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """AdamW/SGD parameter groups with the BEiT/MAE layer-wise lr decay over a ViT backbone (module docstring).

    Args:
        optim_wrapper_cfg (dict): The optim wrapper config (``optimizer`` with ``lr`` and ``weight_decay``).
        paramwise_cfg (dict): ``layer_decay_rate`` and optionally ``num_layers`` and ``no_decay_names``.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        unknown = sorted(set(paramwise_cfg) - set(PARAMWISE_KEYS))
        if unknown:
            raise ValueError(f'ViTLayerDecayOptimWrapperConstructor: unknown paramwise_cfg keys {unknown}; '
                             f'known: {list(PARAMWISE_KEYS)}')
        rate = paramwise_cfg.get('layer_decay_rate')
        if rate is None or not 0 < rate <= 1:
            raise ValueError('ViTLayerDecayOptimWrapperConstructor: paramwise_cfg.layer_decay_rate must be in '
                             f'(0, 1], got {rate!r}')
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        self.decay_rate = float(rate)
        self.expected_layers = paramwise_cfg.get('num_layers')
        self.no_decay_names = tuple(paramwise_cfg.get('no_decay_names', NO_DECAY_NAMES))

    @staticmethod
    def _backbone(model: nn.Module) -> tuple[nn.Module, str]:
        """The module answering ``get_layer_depth`` and the prefix of its parameter names."""
        backbone = getattr(model, 'backbone', None)
        if backbone is not None and hasattr(backbone, 'get_layer_depth'):
            return backbone, 'backbone.'
        if backbone is None and hasattr(model, 'get_layer_depth'):
            return model, ''
        raise TypeError(f'ViTLayerDecayOptimWrapperConstructor: {type(model).__name__} has no backbone with '
                        f'get_layer_depth (got {type(backbone).__name__}); it decays the lr of a ViT backbone '
                        '(SSLViT)')

    def depth_of(self, model: nn.Module) -> tuple[dict[str, int], int]:
        """Each trainable parameter's depth (0 embeddings .. L+1 final norm and non-backbone) and ``L``."""
        backbone, prefix = self._backbone(model)
        depths, num_layers = {}, None
        for name, param in model.named_parameters():
            if not param.requires_grad:
                continue
            if name.startswith(prefix):
                depth, max_id = backbone.get_layer_depth(name[len(prefix):])
                num_layers = max_id - 2
                depths[name] = depth
            else:
                depths[name] = -1  # outside the backbone: L + 1, set below
        if num_layers is None:
            num_layers = backbone.get_layer_depth('')[1] - 2
        if self.expected_layers is not None and self.expected_layers != num_layers:
            raise ValueError(f'ViTLayerDecayOptimWrapperConstructor: paramwise_cfg.num_layers='
                             f'{self.expected_layers} but the backbone has {num_layers} blocks')
        return {n: num_layers + 1 if d < 0 else d for n, d in depths.items()}, num_layers

    def decays(self, name: str, param: nn.Parameter) -> bool:
        """Whether ``param`` gets weight decay: not 1-D, not a bias, not a token/embedding/relative position."""
        return param.ndim > 1 and not name.endswith('.bias') and name.rsplit('.', 1)[-1] not in self.no_decay_names

    def add_params(self, params: list[dict], module: nn.Module, prefix: str = '', **kwargs: Any) -> None:
        """Append one group per (depth, decay or not) to ``params``; each group keeps its parameters' names."""
        depths, num_layers = self.depth_of(module)
        named = dict(module.named_parameters())
        groups: dict[tuple[int, bool], list[tuple[str, nn.Parameter]]] = defaultdict(list)
        for name, depth in depths.items():
            groups[depth, self.decays(name, named[name])].append((name, named[name]))
        lines = []
        for (depth, decay), members in sorted(groups.items(), key=lambda kv: (kv[0][0], not kv[0][1])):
            scale = self.decay_rate ** (num_layers + 1 - depth)
            group = dict(params=members, lr=self.base_lr * scale, lr_scale=scale, layer_id=depth)
            if not decay:
                group['weight_decay'] = 0.
            elif self.base_wd is not None:
                group['weight_decay'] = self.base_wd
            params.append(group)
            lines.append(f'depth {depth} {"decay" if decay else "no decay"}: lr x{scale:.4g}, {len(members)} '
                         'parameters')
        MMLogger.get_current_instance().debug(f'layer-wise lr decay {self.decay_rate} over {num_layers} blocks:\n'
                                              + '\n'.join(lines))
