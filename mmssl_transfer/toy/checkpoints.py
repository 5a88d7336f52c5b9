"""Toy checkpoints: one small file per zoo method, in that method's exact original on-disk layout.

Every file carries the same underlying backbone weights (a ResNet-50 of width ``base_channels``; 64 is the real
shape), wrapped the way the official release wraps them: MoCo/PCL ``state_dict`` with ``module.encoder_q.``
plus the key encoder, queue and fc head; PyContrast ``model`` with ``module.encoder.`` and (jigsaw) heads; SwAV
family raw ``module.`` dicts with projection heads and prototypes; torchvision dicts with ``fc``; SimCLR-v2's
``resnet``/``head`` containers in SimCLRv2-Pytorch names; and BYOL's dill/pickle dump of Haiku containers
(``step``, ``rng`` and the ``byol.byol_experiment._ByolExperimentState`` namedtuple, conv kernels HWIO, BN
``(1, 1, 1, C)``). The BYOL pickle is written with ``dill.dump(..., protocol=2)`` as DeepMind's code writes it when
dill is installed (it is a test requirement, not a runtime one; without it a plain pickler that mimics dill's
namedtuple factory stands in), and without byol or haiku: stand-in modules are put in ``sys.modules`` only while
pickling, so the file names exactly the classes the real one names.

Next to each checkpoint, ``<method>.expected.safetensors`` holds the torchvision-layout weights a correct
conversion must produce. Toy numbers mean nothing; these files exist to exercise every converter.
"""
from __future__ import annotations

import collections
import contextlib
import io
import pickle
import sys
import types
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from mmssl_transfer.checkpoints.keymaps import simclrv2_table
from mmssl_transfer.checkpoints.resnet_layout import resnet50_shapes
from mmssl_transfer.checkpoints.zoo import ZOO, get_method

EXPECTED_SUFFIX = '.expected.safetensors'
_COUNTER = 100  # num_batches_tracked value in PyTorch-born files (TF/JAX-born ones have none: converted to 0)


def toy_checkpoint_path(folder: str | Path, method: str) -> Path:
    """Path of the toy checkpoint of ``method`` (any alias) inside the folder returned by
    :func:`make_toy_checkpoints`."""
    spec = get_method(method)
    return Path(folder) / f'{spec.name}{spec.extension}'


def toy_reference_path(folder: str | Path, method: str) -> Path:
    """Path of the torchvision-layout weights that converting the toy checkpoint of ``method`` must give."""
    return Path(folder) / f'{get_method(method).name}{EXPECTED_SUFFIX}'


def toy_reference_state_dict(folder: str | Path, method: str) -> dict[str, torch.Tensor]:
    """The torchvision-layout weights (no fc) that converting the toy checkpoint of ``method`` must give."""
    from safetensors.torch import load_file
    return load_file(str(toy_reference_path(folder, method)))


# ----------------------------------------------------------------------------------------------- weights
def reference_weights(base_channels: int, seed: int) -> collections.OrderedDict[str, torch.Tensor]:
    """Random torchvision ResNet-50 backbone weights that keep activations O(1) through the network."""
    gen = torch.Generator().manual_seed(seed)
    rand = lambda *s: torch.rand(*s, generator=gen)  # noqa: E731
    out = collections.OrderedDict()
    for key, shape in resnet50_shapes(base_channels).items():
        if key.endswith('num_batches_tracked'):
            out[key] = torch.tensor(_COUNTER, dtype=torch.long)
        elif len(shape) == 4:
            fan_in = shape[1] * shape[2] * shape[3]
            out[key] = torch.randn(*shape, generator=gen) * (2.0 / fan_in) ** 0.5
        elif key.endswith('running_var'):
            out[key] = 0.5 + rand(*shape)
        elif key.endswith('running_mean') or key.endswith('bias'):
            out[key] = 0.1 * torch.randn(*shape, generator=gen)
        else:  # BN weight; the last BN of each block small, so the residual stream stays bounded
            out[key] = 0.2 * rand(*shape) if '.bn3.' in key else 0.5 + 0.5 * rand(*shape)
    return out


def _linear(gen: torch.Generator, out_dim: int, in_dim: int, prefix: str, bias: bool = True) -> dict:
    weights = {f'{prefix}.weight': torch.randn(out_dim, in_dim, generator=gen) * in_dim ** -0.5}
    if bias:
        weights[f'{prefix}.bias'] = torch.zeros(out_dim)
    return weights


def _bn1d(dim: int, prefix: str) -> dict:
    return {f'{prefix}.weight': torch.ones(dim), f'{prefix}.bias': torch.zeros(dim),
            f'{prefix}.running_mean': torch.zeros(dim), f'{prefix}.running_var': torch.ones(dim),
            f'{prefix}.num_batches_tracked': torch.tensor(_COUNTER)}


def _prefixed(weights: dict, prefix: str) -> dict:
    return {prefix + k: v for k, v in weights.items()}


def _perturbed(weights: dict, gen: torch.Generator) -> dict:
    """A different network of the same shape (momentum encoders, targets): must never leak into the output."""
    return {k: (v + 0.01 * torch.randn(v.shape, generator=gen)) if v.is_floating_point() else v.clone()
            for k, v in weights.items()}


def _sgd_state(num_params: int) -> dict:
    return {'state': {}, 'param_groups': [{'lr': 0.0, 'momentum': 0.9, 'weight_decay': 1e-4, 'dampening': 0,
                                           'nesterov': False, 'params': list(range(num_params))}]}


# ------------------------------------------------------------------------------------- per-layout writers
def _moco_like(ref: dict, gen: torch.Generator, dim: int, mlp: bool) -> dict:
    """MoCo / PCL: {'epoch', 'arch', 'state_dict', 'optimizer'}; encoder_q + encoder_k + queue."""
    head = {**_linear(gen, dim, dim, 'fc.0'), **_linear(gen, 128, dim, 'fc.2')} if mlp else _linear(gen, 128, dim, 'fc')
    query = {**ref, **head}
    state = {**_prefixed(query, 'module.encoder_q.'), **_prefixed(_perturbed(query, gen), 'module.encoder_k.'),
             'module.queue': torch.randn(128, 16, generator=gen), 'module.queue_ptr': torch.zeros(1, dtype=torch.long)}
    return {'epoch': 200, 'arch': 'resnet50', 'state_dict': state, 'optimizer': _sgd_state(len(query))}


def _pycontrast(ref: dict, gen: torch.Generator, dim: int, jigsaw: bool, mlp: bool, moco: bool) -> dict:
    """PyContrast (InsDis, PIRL, InfoMin): {'model', 'contrast', 'optimizer', 'epoch'[, 'model_ema']}."""
    head = {**_linear(gen, dim, dim, 'head.0'), **_linear(gen, 128, dim, 'head.2')} if mlp else \
        _linear(gen, 128, dim, 'head.0')
    if jigsaw:
        head.update(_linear(gen, dim, dim, 'head_jig.fc1.0'))
        head.update(_linear(gen, 128, dim, 'head_jig.fc2'))
    model = {**{f'encoder.{k}': v for k, v in ref.items()}, **head}
    out = {'model': _prefixed(model, 'module.'), 'contrast': {'memory': torch.randn(32, 128, generator=gen)},
           'optimizer': _sgd_state(len(model)), 'epoch': 800 if moco else 200}
    if moco:
        out['model_ema'] = _perturbed(model, gen)
    return out


def _swav_like(ref: dict, gen: torch.Generator, dim: int, multi: bool) -> dict:
    """SwAV / DeepCluster-v2 / SeLa-v2: a raw DataParallel state dict with projection head and prototypes."""
    head = {**_linear(gen, dim, dim, 'projection_head.0'), **_bn1d(dim, 'projection_head.1'),
            **_linear(gen, 128, dim, 'projection_head.3')}
    if multi:
        for i in range(3):
            head.update(_linear(gen, 30, 128, f'prototypes.prototypes{i}', bias=False))
    else:
        head.update(_linear(gen, 30, 128, 'prototypes', bias=False))
    return _prefixed({**ref, **head}, 'module.')


def _torchvision(ref: dict, gen: torch.Generator, dim: int, fc: bool) -> dict:
    return {**ref, **(_linear(gen, 1000, dim, 'fc') if fc else {})}


def _simclrv2(ref: dict, gen: torch.Generator, dim: int) -> dict:
    """SimCLRv2-Pytorch convert.py output: {'resnet': ResNet state dict, 'head': ContrastiveHead state dict}."""
    table = simclrv2_table()
    resnet = {}
    for key, value in ref.items():
        module, suffix = key.rsplit('.', 1)
        resnet[f'{table[module]}.{suffix}'] = value
    resnet.update(_linear(gen, 1000, dim, 'fc'))
    head = {}
    for i in range(3):
        out = dim if i < 2 else 128
        head.update(_linear(gen, out, dim, f'layers.{3 * i}', bias=False))
        head.update(_bn1d(out, f'layers.{3 * i + 1}'))
    return {'resnet': resnet, 'head': head}


# BYOL: torchvision module -> Haiku module path below the root 'res_net50'.
def _haiku_path(module: str) -> str:
    if module in ('conv1', 'bn1'):
        return {'conv1': 'initial_conv', 'bn1': 'initial_batchnorm'}[module]
    layer, block, rest = module.split('.', 2)
    group = f'block_group_{int(layer[len("layer"):]) - 1}/~/block_{block}'
    if rest.startswith('downsample'):
        return f'{group}/~/' + ('shortcut_conv' if rest.endswith('0') else 'shortcut_batchnorm')
    kind, idx = ('conv', rest[4:]) if rest.startswith('conv') else ('batchnorm', rest[2:])
    return f'{group}/~/{kind}_{int(idx) - 1}'


def _byol_network(ref: dict, gen: torch.Generator, dim: int, rng: np.random.Generator) -> tuple[dict, dict]:
    """Haiku (params, state) of the BYOL network for torchvision weights ``ref`` (module order shuffled)."""
    params: dict[str, dict] = {}
    state: dict[str, dict] = {}
    as_np = lambda t: t.detach().numpy().astype(np.float32)  # noqa: E731
    bn_shape = lambda t: as_np(t).reshape(1, 1, 1, -1)  # noqa: E731
    for key, value in ref.items():
        module, suffix = key.rsplit('.', 1)
        path = f'res_net50/~/{_haiku_path(module)}'
        if suffix == 'weight' and value.dim() == 4:
            params[path] = {'w': as_np(value.permute(2, 3, 1, 0))}  # OIHW -> HWIO
        elif suffix in ('weight', 'bias'):
            params.setdefault(path, {})['scale' if suffix == 'weight' else 'offset'] = bn_shape(value)
        elif suffix in ('running_mean', 'running_var'):
            ema = 'mean_ema' if suffix == 'running_mean' else 'var_ema'
            state[f'{path}/~/{ema}'] = {'counter': np.array(1000, dtype=np.int32), 'hidden': bn_shape(value),
                                        'average': bn_shape(value)}
    for root, hidden in (('projector', 64), ('predictor', 64)):
        params[f'{root}/~/linear'] = {'w': rng.standard_normal((dim if root == 'projector' else 32, hidden),
                                                               dtype=np.float32), 'b': np.zeros(hidden, np.float32)}
        params[f'{root}/~/batch_norm'] = {'scale': np.ones((1, hidden), np.float32),
                                          'offset': np.zeros((1, hidden), np.float32)}
        params[f'{root}/~/linear_1'] = {'w': rng.standard_normal((hidden, 32), dtype=np.float32)}
        for ema in ('mean_ema', 'var_ema'):
            state[f'{root}/~/batch_norm/~/{ema}'] = {'counter': np.array(1000, dtype=np.int32),
                                                     'hidden': np.zeros((1, hidden), np.float32),
                                                     'average': np.zeros((1, hidden), np.float32)}
    params['classifier'] = {'w': rng.standard_normal((dim, 1000), dtype=np.float32), 'b': np.zeros(1000, np.float32)}
    order = rng.permutation(len(params))  # module order must not matter to the converter
    params = dict([list(params.items())[i] for i in order])
    return params, state


def _dill() -> types.ModuleType | None:
    """The dill package when installed (a test requirement), else None."""
    try:
        import dill
    except ImportError:
        return None
    return dill


@contextlib.contextmanager
def _byol_release_modules(real_dill: bool) -> Iterator[types.SimpleNamespace]:
    """Stand-ins for the haiku and byol names the official pickle refers to (and for dill's namedtuple factory
    when dill is not installed), present in ``sys.modules`` only while pickling."""
    names = ('haiku', 'haiku._src', 'haiku._src.data_structures', 'byol', 'byol.byol_experiment', 'byol.utils',
             'byol.utils.optimizers', 'optax', 'optax._src', 'optax._src.transform') + \
        (() if real_dill else ('dill', 'dill._dill'))
    saved = {n: sys.modules.get(n) for n in names}
    mods = {n: types.ModuleType(n) for n in names}
    for name, module in mods.items():  # as an import would: a package has its submodules as attributes
        parent, _, child = name.rpartition('.')
        if parent:
            setattr(mods[parent], child, module)

    class frozendict(dict):  # noqa: N801 - Haiku's spelling; pickles as frozendict(<dict>) like the real one
        def __reduce__(self):
            return frozendict, (dict(self),)

    def _create_namedtuple(name, fieldnames, modulename, defaults=None):
        return getattr(sys.modules[modulename], name)

    frozendict.__module__, frozendict.__qualname__ = 'haiku._src.data_structures', 'frozendict'
    _create_namedtuple.__module__, _create_namedtuple.__qualname__ = 'dill._dill', '_create_namedtuple'
    state_cls = collections.namedtuple('_ByolExperimentState', ('online_params', 'target_params', 'online_state',
                                                                 'target_state', 'opt_state'),
                                       module='byol.byol_experiment')
    # optax.chain(add_weight_decay, scale_by_lars, optax.scale) of byol/utils/optimizers.py: three states
    optimizer_states = (collections.namedtuple('AddWeightDecayState', (), module='byol.utils.optimizers'),
                        collections.namedtuple('ScaleByLarsState', ('mu',), module='byol.utils.optimizers'),
                        collections.namedtuple('ScaleState', (), module='optax._src.transform'))
    mods['haiku._src.data_structures'].frozendict = frozendict
    if not real_dill:
        mods['dill._dill']._create_namedtuple = _create_namedtuple
    mods['byol.byol_experiment']._ByolExperimentState = state_cls
    for cls in optimizer_states:
        setattr(mods[cls.__module__], cls.__name__, cls)
    sys.modules.update(mods)
    try:
        yield types.SimpleNamespace(frozendict=frozendict, create_namedtuple=_create_namedtuple,
                                    ByolExperimentState=state_cls, optimizer_states=optimizer_states)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _frozen(tree: dict, frozendict: type) -> dict:
    return frozendict({k: _frozen(v, frozendict) if isinstance(v, dict) else v for k, v in tree.items()})


def byol_pickle_bytes(ref: dict, seed: int, dim: int) -> bytes:
    """The BYOL release pickle, written as deepmind-research/byol writes it: ``dill.dump(..., protocol=2)``.

    Without dill installed, a plain pickler that writes namedtuple classes through ``dill._dill._create_namedtuple``
    (as dill does) stands in; numpy arrays then appear as plain pickle writes them rather than through dill's
    helpers. The dill-written form of the real file (dill 0.3.2 and current) is tested with
    ``tests/data/byol_dill032``.
    """
    gen = torch.Generator().manual_seed(seed + 1)
    rng = np.random.default_rng(seed)
    online_params, online_state = _byol_network(ref, gen, dim, rng)
    target_params, target_state = _byol_network(_perturbed(ref, gen), gen, dim, rng)
    dill = _dill()
    with _byol_release_modules(real_dill=dill is not None) as fake:
        freeze = lambda tree: _frozen(tree, fake.frozendict)  # noqa: E731
        momentum = {k: {leaf: np.zeros_like(v) for leaf, v in leaves.items()} for k, leaves in online_params.items()}
        weight_decay, lars, scale = fake.optimizer_states
        experiment_state = fake.ByolExperimentState(
            online_params=freeze(online_params), target_params=freeze(target_params),
            online_state=freeze(online_state), target_state=freeze(target_state),
            opt_state=(weight_decay(), lars(mu=freeze(momentum)), scale()))
        checkpoint_data = {'experiment_state': experiment_state, 'step': 300000,
                           'rng': np.array([0, seed], dtype=np.uint32)}
        if dill is not None:
            return dill.dumps(checkpoint_data, protocol=2)

        class DillLikePickler(pickle.Pickler):
            def reducer_override(self, obj):
                if isinstance(obj, type) and issubclass(obj, tuple) and hasattr(obj, '_fields'):
                    return fake.create_namedtuple, (obj.__name__, obj._fields, obj.__module__)
                return NotImplemented

        buffer = io.BytesIO()
        DillLikePickler(buffer, protocol=2).dump(checkpoint_data)
    return buffer.getvalue()


#: method -> function(reference weights, generator, feature dim) -> the object saved with torch.save.
_TORCH_LAYOUTS: dict[str, Callable[[dict, torch.Generator, int], dict]] = {
    'insdis': lambda r, g, d: _pycontrast(r, g, d, jigsaw=False, mlp=False, moco=False),
    'mocov1': lambda r, g, d: _moco_like(r, g, d, mlp=False),
    'pclv1': lambda r, g, d: _moco_like(r, g, d, mlp=False),
    'pirl': lambda r, g, d: _pycontrast(r, g, d, jigsaw=True, mlp=False, moco=False),
    'pclv2': lambda r, g, d: _moco_like(r, g, d, mlp=True),
    'simclrv1': lambda r, g, d: {'state_dict': _torchvision(r, g, d, fc=True)},
    'mocov2': lambda r, g, d: _moco_like(r, g, d, mlp=True),
    'simclrv2': _simclrv2,
    'selav2': lambda r, g, d: _swav_like(r, g, d, multi=True),
    'infomin': lambda r, g, d: _pycontrast(r, g, d, jigsaw=True, mlp=True, moco=True),
    'deepclusterv2': lambda r, g, d: _swav_like(r, g, d, multi=True),
    'swav': lambda r, g, d: _swav_like(r, g, d, multi=False),
    'supervised': lambda r, g, d: _torchvision(r, g, d, fc=True),
    'barlowtwins': lambda r, g, d: _torchvision(r, g, d, fc=False),
    'dino': lambda r, g, d: _torchvision(r, g, d, fc=False),
}
#: Releases of 2019-2020 saved with torch < 1.6 use the legacy (non-zip) serialisation; keep that here too.
_LEGACY_SERIALIZATION = ('mocov1', 'mocov2', 'pclv1', 'pclv2', 'swav', 'deepclusterv2', 'selav2')


def make_toy_checkpoints(out_dir: str | Path, seed: int = 0, base_channels: int = 8,
                         methods: list[str] | None = None) -> Path:
    """Write ``out_dir/checkpoints/<method><ext>`` (+ ``<method>.expected.safetensors``) and return the folder.

    Args:
        out_dir: Parent folder; files go to its ``checkpoints`` sub-folder.
        seed: Seed of the backbone weights (offset per method, so toy backbones differ) and of the heads.
        base_channels: Stem width; 64 gives the real ResNet-50 shapes, the default 8 a 64x smaller model.
        methods: Zoo names (aliases accepted) to write; default all 16.
    """
    from safetensors.torch import save_file
    folder = Path(out_dir) / 'checkpoints'
    folder.mkdir(parents=True, exist_ok=True)
    dim = 32 * base_channels  # 2048 at full width
    for method in [get_method(m).name for m in (methods or list(ZOO))]:
        ref = reference_weights(base_channels, seed + 7919 * list(ZOO).index(method))
        gen = torch.Generator().manual_seed(seed + 1000)
        expected = dict(ref)
        if method == 'byol':
            toy_checkpoint_path(folder, method).write_bytes(byol_pickle_bytes(ref, seed, dim))
            expected = {k: (torch.tensor(0, dtype=torch.long) if k.endswith('num_batches_tracked') else v)
                        for k, v in ref.items()}
        else:
            obj = _TORCH_LAYOUTS[method](ref, gen, dim)
            torch.save(obj, toy_checkpoint_path(folder, method),
                       _use_new_zipfile_serialization=method not in _LEGACY_SERIALIZATION)
        save_file({k: v.contiguous() for k, v in expected.items()}, str(toy_reference_path(folder, method)),
                  metadata={'base_channels': str(base_channels), 'seed': str(seed)})
    return folder
