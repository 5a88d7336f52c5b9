"""Write a small BYOL checkpoint the way DeepMind's byol code writes ``pretrain_res50x1.pkl``: with dill.

    python3 -m venv /tmp/dill032 && /tmp/dill032/bin/pip install 'dill==0.3.2' 'numpy<2'
    /tmp/dill032/bin/python tests/data/byol_dill032/make_fixture.py tests/data/byol_dill032/byol_dill032_w8.pkl

(the committed fixture; tests/test_checkpoints/test_byol_dill.py also runs this script with the test
environment's current dill to write a second file at test time).

What the real file is (deepmind-research/byol, August 2020):

* ``byol/utils/checkpointing.py`` saves ``dict(experiment_state=jax.tree_map(lambda x: jax.device_get(x[0]),
  experiment_state), step=step, rng=rng)`` with ``dill.dump(..., protocol=2)``;
* ``experiment_state`` is ``byol.byol_experiment._ByolExperimentState`` (a NamedTuple of online/target params and
  state plus ``opt_state``); ``opt_state`` is what ``optax.chain(add_weight_decay, scale_by_lars, optax.scale)``
  returns: ``(byol.utils.optimizers.AddWeightDecayState(), byol.utils.optimizers.ScaleByLarsState(mu=...),
  optax._src.transform.ScaleState())``;
* params and state are Haiku ``FlatMapping``s (dm-haiku since 2020-08-03) of ``FlatMapping``s of arrays, and
  ``FlatMapping.__reduce__`` returns ``(FlatMapping, (self._to_mapping(),))``: a plain dict whose values are the
  inner ``FlatMapping``s;
* ``rng`` is a JAX ``DeviceArray``, whose ``__reduce__`` forwards to the numpy array's;
* module paths are Haiku's: ``res_net50/~/initial_conv``, ``res_net50/~/block_group_{g}/~/block_{b}/~/conv_{k}``,
  ``.../batchnorm_{k}``, ``.../shortcut_conv``, ``.../shortcut_batchnorm``, BN state ``.../~/mean_ema`` and
  ``.../~/var_ema`` with ``counter``, ``hidden``, ``average``; heads ``projector``, ``predictor``, ``classifier``.

The byol, haiku, optax and jax classes are stand-ins written to a temporary folder put first on ``sys.path``, so
dill pickles them by their real module paths; nothing of those packages is needed. Only numpy and dill are
imported (run it with the writer's environment). Values come from ``numpy.random.RandomState`` (a stream numpy
keeps fixed across versions), so :func:`haiku_trees` rebuilds the exact arrays the file holds under any numpy.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

#: Stand-in modules, keyed by file path under the temporary package root.
STAND_INS = {
    'byol/__init__.py': '',
    'byol/utils/__init__.py': '',
    'byol/utils/optimizers.py': '''
        from typing import Any, NamedTuple


        class ScaleByLarsState(NamedTuple):
            mu: Any


        class AddWeightDecayState(NamedTuple):
            """Stateless transformation."""
        ''',
    'byol/byol_experiment.py': '''
        from typing import Any, NamedTuple


        class _ByolExperimentState(NamedTuple):
            online_params: Any
            target_params: Any
            online_state: Any
            target_state: Any
            opt_state: Any
        ''',
    'haiku/__init__.py': '',
    'haiku/_src/__init__.py': '',
    'haiku/_src/data_structures.py': '''
        from collections.abc import Mapping


        class FlatMapping(Mapping):
            """dm-haiku's FlatMapping (August 2020) as far as pickling goes."""

            def __init__(self, *args, **kwargs):
                self._mapping = dict(*args, **kwargs)

            def _to_mapping(self):
                return self._mapping

            def __getitem__(self, key):
                return self._mapping[key]

            def __iter__(self):
                return iter(self._mapping)

            def __len__(self):
                return len(self._mapping)

            def __reduce__(self):
                return FlatMapping, (self._to_mapping(),)


        def to_immutable_dict(mapping):
            items = []
            for key, value in mapping.items():
                if type(value) is dict:
                    value = to_immutable_dict(value)
                items.append((key, value))
            return FlatMapping(items)
        ''',
    'optax/__init__.py': '',
    'optax/_src/__init__.py': '',
    'optax/_src/transform.py': '''
        from typing import NamedTuple


        class ScaleState(NamedTuple):
            """The scale transformation is stateless."""
        ''',
    'jax/__init__.py': '',
    'jax/interpreters/__init__.py': '',
    'jax/interpreters/xla.py': '''
        class DeviceArray:
            """A JAX array of 2020: pickles like the numpy array it holds."""

            def __init__(self, value):
                self._value = value

            def __reduce__(self):
                return self._value.__reduce__()
        ''',
}

BLOCKS = (3, 4, 6, 3)


def _bn(rng: np.random.RandomState, channels: int, shape: tuple[int, ...]) -> tuple[dict, dict]:
    """Haiku BatchNorm params (scale, offset) and its two moving averages (counter, hidden, average)."""
    params = {'scale': (0.5 + rng.rand(channels)).astype(np.float32).reshape(shape),
              'offset': (0.1 * rng.randn(channels)).astype(np.float32).reshape(shape)}
    state = {}
    for ema, base in (('mean_ema', 0.0), ('var_ema', 0.5)):
        average = (base + rng.rand(channels)).astype(np.float32).reshape(shape)
        state[ema] = {'counter': np.array(300000, dtype=np.int32), 'hidden': average * 0.5, 'average': average}
    return params, state


def _network(rng: np.random.RandomState, width: int, classes: int) -> tuple[dict, dict]:
    """Haiku (params, state) of BYOL's ResNet-50 (width ``width`` instead of 64) and its heads."""
    params: dict[str, dict] = {}
    state: dict[str, dict] = {}

    def conv(path: str, k: int, cin: int, cout: int) -> None:
        params[path] = {'w': (rng.randn(k, k, cin, cout) * (2.0 / (k * k * cin)) ** 0.5).astype(np.float32)}

    def batchnorm(path: str, channels: int) -> None:
        params[path], emas = _bn(rng, channels, (1, 1, 1, channels))
        for ema, leaves in emas.items():
            state[f'{path}/~/{ema}'] = leaves

    root = 'res_net50'
    conv(f'{root}/~/initial_conv', 7, 3, width)
    batchnorm(f'{root}/~/initial_batchnorm', width)
    cin = width
    for g, blocks in enumerate(BLOCKS):
        cout = 4 * width * 2 ** g
        mid = cout // 4
        for b in range(blocks):
            block = f'{root}/~/block_group_{g}/~/block_{b}'
            if b == 0:
                conv(f'{block}/~/shortcut_conv', 1, cin, cout)
                batchnorm(f'{block}/~/shortcut_batchnorm', cout)
            for k, (kernel, c_in, c_out) in enumerate(((1, cin, mid), (3, mid, mid), (1, mid, cout))):
                conv(f'{block}/~/conv_{k}', kernel, c_in, c_out)
                batchnorm(f'{block}/~/batchnorm_{k}', c_out)
            cin = cout
    embedding, hidden, out = cin, 2 * cin, cin // 8
    for head, c_in in (('projector', embedding), ('predictor', out)):
        params[f'{head}/~/linear'] = {'w': rng.randn(c_in, hidden).astype(np.float32),
                                      'b': np.zeros(hidden, np.float32)}
        params[f'{head}/~/batch_norm'], emas = _bn(rng, hidden, (1, hidden))
        for ema, leaves in emas.items():
            state[f'{head}/~/batch_norm/~/{ema}'] = leaves
        params[f'{head}/~/linear_1'] = {'w': rng.randn(hidden, out).astype(np.float32)}
    params['classifier'] = {'w': rng.randn(embedding, classes).astype(np.float32), 'b': np.zeros(classes, np.float32)}
    return params, state


def haiku_trees(width: int = 1, seed: int = 0, classes: int = 10) -> dict[str, dict]:
    """The four Haiku trees of the fixture as plain dicts: online/target params and state."""
    online_params, online_state = _network(np.random.RandomState(seed), width, classes)
    target_params, target_state = _network(np.random.RandomState(seed + 1), width, classes)  # never converted
    return {'online_params': online_params, 'target_params': target_params, 'online_state': online_state,
            'target_state': target_state}


def write_stand_ins(root: Path) -> None:
    """Write the stand-in byol/haiku/optax/jax modules under ``root``."""
    for name, text in STAND_INS.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())


def checkpoint_data(width: int, seed: int, classes: int) -> dict:
    """The object ``byol/utils/checkpointing.py`` hands to ``dill.dump`` (stand-in modules must be importable)."""
    from byol.byol_experiment import _ByolExperimentState
    from byol.utils.optimizers import AddWeightDecayState, ScaleByLarsState
    from haiku._src.data_structures import to_immutable_dict
    from jax.interpreters.xla import DeviceArray
    from optax._src.transform import ScaleState

    trees = {k: to_immutable_dict(v) for k, v in haiku_trees(width, seed, classes).items()}
    momentum = to_immutable_dict({path: {leaf: np.zeros_like(v) for leaf, v in leaves.items()}
                                  for path, leaves in haiku_trees(width, seed, classes)['online_params'].items()})
    state = _ByolExperimentState(opt_state=(AddWeightDecayState(), ScaleByLarsState(mu=momentum), ScaleState()),
                                 **trees)
    return dict(experiment_state=state, step=300000, rng=DeviceArray(np.array([0, seed], dtype=np.uint32)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out', type=Path, help='pickle to write')
    parser.add_argument('--width', type=int, default=1, help='ResNet-50 base width (64 is the real network)')
    parser.add_argument('--classes', type=int, default=10, help='outputs of the (dropped) classifier head; 1000 '
                        'in the real file')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    import dill

    with tempfile.TemporaryDirectory() as packages:
        write_stand_ins(Path(packages))
        sys.path.insert(0, packages)
        data = checkpoint_data(args.width, args.seed, args.classes)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, 'wb') as f:
            dill.dump(data, f, protocol=2)
    print(f'wrote {args.out} with dill {dill.__version__}, numpy {np.__version__}')


if __name__ == '__main__':
    main()
