"""Key maps from each release layout to torchvision ResNet-50 names.

A key map looks at the flat source keys of one checkpoint and returns a :class:`KeyPlan`: which source key
becomes which torchvision key (and how its array is transformed), and which keys are deliberately dropped
(heads, momentum encoders, queues, optimiser state). Keys are matched by prefix or by full module path,
never by substring and never by position in a list.

* ``prefix``: keep keys that start with the method's prefix, strip it, drop head prefixes
  (MoCo, PCL, PyContrast, SwAV family, torchvision, SimCLR-v1 converted).
* ``simclrv2``: the explicit SimCLRv2-Pytorch -> torchvision table (Separius/SimCLRv2-Pytorch ``resnet.py``:
  ``net.0`` stem, ``net.{s}.blocks.{b}.net.{0..5}`` conv/BN pairs, ``projection.shortcut`` / ``projection.bn.0``).
* ``byol_haiku``: Haiku module paths of the BYOL pickle (``res_net50/~/block_group_{g}/~/block_{b}/~/conv_{k}``,
  ``shortcut_conv``/``shortcut_batchnorm``, ``initial_conv``/``initial_batchnorm``); conv ``w`` is HWIO and becomes
  OIHW, BN ``scale``/``offset`` become weight/bias, the state ``mean_ema``/``var_ema`` ``average`` become the running
  statistics (names as in byol/utils/networks.py and the public converters ajtejankar/byol-convert and
  ssl-transfer's convert_byol).
* ``timm_vit``: the ViT releases (DINO, MoCo v3, MAE, iBOT, DINOv2) in timm names -> mmpretrain
  ``VisionTransformer`` names (:data:`~.vit_layout.TIMM_TO_MMPRETRAIN`), after the row's prefix and the wrapper
  prefixes its authors' loader strips.
* ``mmpretrain_vit``: our own converted ViT files (:func:`~.convert.save_converted`), already in those names: every
  key is kept as it is and checked against the row's architecture by the converter.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import torch

from .resnet_layout import BN_SUFFIXES, RESNET50_BLOCKS
from .vit_layout import to_mmpretrain_name
from .zoo import MethodSpec

#: How a source array becomes a torchvision tensor.
TRANSFORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    'identity': lambda t: t,
    'hwio_to_oihw': lambda t: t.permute(3, 2, 0, 1).contiguous(),  # TF/Haiku conv kernel -> PyTorch
    'flatten': lambda t: t.reshape(-1),  # Haiku BN parameters/statistics are (1, 1, 1, C)
}


@dataclass
class KeyPlan:
    """Result of a key map: ``mapping`` source -> target key, ``transform`` per mapped source key, ``dropped``."""

    mapping: dict[str, str] = field(default_factory=dict)
    transform: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)

    def add(self, src: str, dst: str, transform: str = 'identity') -> None:
        self.mapping[src] = dst
        self.transform[src] = transform


def plan_prefix(keys: Iterable[str], spec: MethodSpec) -> KeyPlan:
    """Keep keys starting with ``spec.keep_prefix`` (stripped); drop the rest and the head prefixes."""
    plan = KeyPlan()
    prefix = spec.keep_prefix
    for key in keys:
        if not key.startswith(prefix):
            plan.dropped.append(key)
            continue
        name = key[len(prefix):]
        if name.startswith(spec.drop_prefixes):
            plan.dropped.append(key)
        else:
            plan.add(key, name)
    return plan


def simclrv2_table(blocks: tuple[int, ...] = RESNET50_BLOCKS) -> dict[str, str]:
    """torchvision module name -> SimCLRv2-Pytorch module name, for a ResNet with ``blocks`` per stage."""
    table = {'conv1': 'net.0.0', 'bn1': 'net.0.1.0'}
    for stage, n in enumerate(blocks, start=1):
        for b in range(n):
            src, dst = f'net.{stage}.blocks.{b}', f'layer{stage}.{b}'
            for k in range(3):
                table[f'{dst}.conv{k + 1}'] = f'{src}.net.{2 * k}'
                table[f'{dst}.bn{k + 1}'] = f'{src}.net.{2 * k + 1}.0'
            if b == 0:
                table[f'{dst}.downsample.0'] = f'{src}.projection.shortcut'
                table[f'{dst}.downsample.1'] = f'{src}.projection.bn.0'
    return table


def _simclrv2_source_to_target() -> dict[str, str]:
    out = {}
    for dst, src in simclrv2_table().items():
        is_bn = not dst.split('.')[-1].startswith('conv') and not dst.endswith('downsample.0')
        for suffix in (BN_SUFFIXES if is_bn else ('weight',)):
            out[f'{src}.{suffix}'] = f'{dst}.{suffix}'
    return out


_SIMCLRV2_KEYS = _simclrv2_source_to_target()


def plan_simclrv2(keys: Iterable[str], spec: MethodSpec) -> KeyPlan:
    """Rename by the explicit SimCLR-v2 table; drop ``fc``; anything else is passed through (and will be
    reported as unexpected by the converter)."""
    plan = KeyPlan()
    for key in keys:
        if key in _SIMCLRV2_KEYS:
            plan.add(key, _SIMCLRV2_KEYS[key])
        elif key.startswith(spec.drop_prefixes):
            plan.dropped.append(key)
        else:
            plan.add(key, key)
    return plan


# Haiku module path (below the network's root module) -> torchvision module name.
_HAIKU_MODULES: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(p), t) for p, t in (
    (r'initial_conv', 'conv1'),
    (r'initial_batchnorm', 'bn1'),
    (r'block_group_(?P<g>\d+)/~/block_(?P<b>\d+)/~/conv_(?P<k>\d+)', 'layer{g1}.{b}.conv{k1}'),
    (r'block_group_(?P<g>\d+)/~/block_(?P<b>\d+)/~/batchnorm_(?P<k>\d+)', 'layer{g1}.{b}.bn{k1}'),
    (r'block_group_(?P<g>\d+)/~/block_(?P<b>\d+)/~/shortcut_conv', 'layer{g1}.{b}.downsample.0'),
    (r'block_group_(?P<g>\d+)/~/block_(?P<b>\d+)/~/shortcut_batchnorm', 'layer{g1}.{b}.downsample.1'),
))
# (collection, moving-average module or '', leaf) -> (torchvision suffix, transform); None = drop.
_HAIKU_LEAVES: dict[tuple[str, str, str], tuple[str, str] | None] = {
    ('online_params', '', 'w'): ('weight', 'hwio_to_oihw'),
    ('online_params', '', 'scale'): ('weight', 'flatten'),
    ('online_params', '', 'offset'): ('bias', 'flatten'),
    ('online_state', 'mean_ema', 'average'): ('running_mean', 'flatten'),
    ('online_state', 'var_ema', 'average'): ('running_var', 'flatten'),
    ('online_state', 'mean_ema', 'hidden'): None,
    ('online_state', 'var_ema', 'hidden'): None,
    ('online_state', 'mean_ema', 'counter'): None,
    ('online_state', 'var_ema', 'counter'): None,
}
_HAIKU_KEY = re.compile(r'(?P<coll>[^/]+)/(?P<root>[^/]+)(?:/~/(?P<module>.+?))?'
                        r'(?:/~/(?P<ema>mean_ema|var_ema))?/(?P<leaf>[^/~]+)')
#: The Haiku collections of ``_ByolExperimentState`` that hold the online network we convert.
BYOL_COLLECTIONS = ('online_params', 'online_state')


def _haiku_module_to_torchvision(module: str) -> str | None:
    for pattern, template in _HAIKU_MODULES:
        m = pattern.fullmatch(module)
        if m:
            groups = m.groupdict()
            return template.format(g1=int(groups.get('g') or 0) + 1, b=groups.get('b'),
                                   k1=int(groups.get('k') or 0) + 1)
    return None


def plan_byol_haiku(keys: Iterable[str], spec: MethodSpec) -> KeyPlan:
    """Map flat BYOL keys ``'<collection>/<module path>/<leaf>'`` by module path (see module docstring)."""
    plan = KeyPlan()
    for key in keys:
        m = _HAIKU_KEY.fullmatch(key)
        if m is None or m['root'] in spec.drop_prefixes:
            plan.dropped.append(key)
            continue
        module = _haiku_module_to_torchvision(m['module'] or '')
        leaf = _HAIKU_LEAVES.get((m['coll'], m['ema'] or '', m['leaf']), ...)
        if leaf is None:
            plan.dropped.append(key)  # EMA bookkeeping (hidden, counter)
        elif module is None or leaf is ...:
            plan.add(key, key)  # not a ResNet-50 tensor: reported as unexpected
        else:
            suffix, transform = leaf
            plan.add(key, f'{module}.{suffix}', transform)
    return plan


def flatten_byol_state(experiment_state: Any) -> dict[str, Any]:
    """Flatten ``{collection: {module path: {leaf: array}}}`` of the online network into ``'coll/path/leaf'`` keys."""
    flat: dict[str, Any] = {}
    for coll in BYOL_COLLECTIONS:
        modules = experiment_state.get(coll) if isinstance(experiment_state, dict) else None
        if not isinstance(modules, dict):
            continue
        for path, leaves in modules.items():
            if isinstance(leaves, dict):
                for leaf, value in leaves.items():
                    flat[f'{coll}/{path}/{leaf}'] = value
            else:
                flat[f'{coll}/{path}'] = leaves
    return flat


def plan_timm_vit(keys: Iterable[str], spec: MethodSpec) -> KeyPlan:
    """Keep keys under ``spec.keep_prefix``, strip it and then ``spec.strip_prefixes`` (each at most once, in
    order), drop the row's head prefixes and rename the rest to mmpretrain ViT names; a key that is no ViT tensor
    keeps its name (and is reported as unexpected by the converter)."""
    plan = KeyPlan()
    for key in keys:
        if not key.startswith(spec.keep_prefix):
            plan.dropped.append(key)
            continue
        name = key[len(spec.keep_prefix):]
        for prefix in spec.strip_prefixes:
            name = name[len(prefix):] if name.startswith(prefix) else name
        if name.startswith(spec.drop_prefixes):
            plan.dropped.append(key)
        else:
            plan.add(key, to_mmpretrain_name(name) or name)
    return plan


def plan_mmpretrain_vit(keys: Iterable[str], spec: MethodSpec) -> KeyPlan:
    """Keep every key of a converted ViT file as it is (it is in mmpretrain names already); what is no tensor of
    the row's ViT is reported as unexpected by the converter."""
    plan = KeyPlan()
    for key in keys:
        plan.add(key, key)
    return plan


#: key_map kind -> planner; every planner takes (flat source keys, spec).
KEY_MAPS: dict[str, Callable[[Iterable[str], MethodSpec], KeyPlan]] = {
    'prefix': plan_prefix,
    'simclrv2': plan_simclrv2,
    'byol_haiku': plan_byol_haiku,
    'timm_vit': plan_timm_vit,
    'mmpretrain_vit': plan_mmpretrain_vit,
}


def to_tensor(value: Any, transform: str = 'identity') -> torch.Tensor:
    """Turn a source leaf (tensor or numpy array) into a CPU tensor and apply a named transform."""
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(np.ascontiguousarray(value))
    elif isinstance(value, np.generic):
        value = torch.as_tensor(np.asarray(value))
    if not isinstance(value, torch.Tensor):
        raise TypeError(f'expected an array, got {type(value).__name__}')
    return TRANSFORMS[transform](value.detach().cpu())
