"""BYOL's release pickle as dill writes it: dill 0.3.2 (the committed fixture) and the current dill (written now).

Both files come from ``tests/data/byol_dill032/make_fixture.py``, which dumps with ``dill.dump(..., protocol=2)``
through stand-in byol/haiku/optax/jax modules exactly as ``deepmind-research/byol`` does. The converted backbone
must be the *online* network: parameters and the EMA ``average`` of each BatchNorm, never the target network.
"""
import importlib.util
import pickle
import pickletools
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from mmssl_transfer.checkpoints import CheckpointError, convert, load_checkpoint
from mmssl_transfer.checkpoints.resnet_layout import resnet50_shapes
from mmssl_transfer.checkpoints.safe_load import load_bytes_as_pickle

FIXTURE_DIR = Path(__file__).resolve().parents[1] / 'data' / 'byol_dill032'
FIXTURE = FIXTURE_DIR / 'byol_dill032_w1.pkl'  # make_fixture.py defaults: width 1, seed 0, 10 classes


def _writer():
    spec = importlib.util.spec_from_file_location('byol_fixture_writer', FIXTURE_DIR / 'make_fixture.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _globals(path: Path) -> set[str]:
    return {arg for op, arg, _ in pickletools.genops(path.read_bytes()) if op.name == 'GLOBAL'}


def _haiku_module(torchvision_module: str) -> str:
    """Haiku module path of a torchvision ResNet-50 module, written out from byol/utils/networks.py."""
    if torchvision_module in ('conv1', 'bn1'):
        return 'res_net50/~/' + {'conv1': 'initial_conv', 'bn1': 'initial_batchnorm'}[torchvision_module]
    m = re.fullmatch(r'layer(\d)\.(\d+)\.(conv|bn)(\d)', torchvision_module)
    if m:
        kind = 'conv' if m[3] == 'conv' else 'batchnorm'
        return f'res_net50/~/block_group_{int(m[1]) - 1}/~/block_{m[2]}/~/{kind}_{int(m[4]) - 1}'
    m = re.fullmatch(r'layer(\d)\.0\.downsample\.([01])', torchvision_module)
    return f'res_net50/~/block_group_{int(m[1]) - 1}/~/block_0/~/' + ('shortcut_conv', 'shortcut_batchnorm')[int(m[2])]


def expected_from_haiku(trees: dict, width: int, network: str = 'online') -> dict[str, torch.Tensor]:
    """torchvision tensors taken directly from the Haiku trees (params, and EMA ``average`` as running stats)."""
    params, state = trees[f'{network}_params'], trees[f'{network}_state']
    out = {}
    for key, shape in resnet50_shapes(width).items():
        module, suffix = key.rsplit('.', 1)
        path = _haiku_module(module)
        if suffix == 'num_batches_tracked':
            continue
        if suffix == 'weight' and len(shape) == 4:
            value = params[path]['w'].transpose(3, 2, 0, 1)  # HWIO -> OIHW
        elif suffix in ('weight', 'bias'):
            value = params[path]['scale' if suffix == 'weight' else 'offset'].reshape(-1)
        else:
            value = state[f'{path}/~/{"mean_ema" if suffix == "running_mean" else "var_ema"}']['average'].reshape(-1)
        out[key] = torch.from_numpy(np.ascontiguousarray(value))
    return out


def assert_online_network(path: Path, width: int, seed: int, classes: int):
    trees = _writer().haiku_trees(width, seed, classes)
    conversion = convert(path)
    report = conversion.report
    assert report.method == 'byol' and report.loader == 'pickle' and report.base_channels == width
    assert report.num_tensors == 318 and report.missing == [] and report.unexpected == []
    assert set(report.ignored_entries) == {'step', 'rng'}
    state_dict = conversion.state_dict
    expected = expected_from_haiku(trees, width)
    assert len(expected) == 318 - 53
    for key, value in expected.items():
        assert state_dict[key].dtype == torch.float32, key
        assert torch.equal(state_dict[key], value), key
    target = expected_from_haiku(trees, width, 'target')
    assert not any(torch.equal(state_dict[k], target[k]) for k in target)  # nothing comes from the target network
    counters = [k for k in state_dict if k.endswith('num_batches_tracked')]
    assert len(counters) == 53 and all(int(state_dict[k]) == 0 for k in counters)
    assert sorted(report.filled) == sorted(counters)
    assert any(k.startswith('online_params/projector/') for k in report.dropped)
    assert any(k.startswith('online_params/classifier/') for k in report.dropped)
    assert not any(k.startswith('target') for k in report.kept + report.dropped)


def test_committed_fixture_was_written_by_dill_032_under_numpy_1():
    names = _globals(FIXTURE)
    assert {'dill._dill _get_attr', 'dill._dill _import_module', 'dill._dill _create_namedtuple',
            'haiku._src.data_structures FlatMapping', 'numpy ndarray', 'numpy dtype'} <= names
    assert 'dill._dill _create_array' not in names
    strings = {arg for op, arg, _ in pickletools.genops(FIXTURE.read_bytes()) if isinstance(arg, str)}
    assert {'numpy.core._multiarray_umath', '_reconstruct', '_codecs', 'encode', '_ByolExperimentState',
            'byol.byol_experiment', 'byol.utils.optimizers', 'ScaleByLarsState', 'optax._src.transform'} <= strings
    assert not any(s.startswith('numpy._core') for s in strings)  # numpy 1.x module paths, as in 2020


def test_dill_032_fixture_converts_to_the_online_parameters_and_ema_statistics():
    assert_online_network(FIXTURE, width=1, seed=0, classes=10)


def test_dill_032_fixture_keeps_every_collection_as_plain_containers():
    obj = load_checkpoint(FIXTURE).obj
    assert set(obj) == {'experiment_state', 'step', 'rng'} and obj['step'] == 300000
    assert obj['rng'].dtype == np.uint32 and obj['rng'].tolist() == [0, 0]  # a JAX DeviceArray pickles as numpy
    state = obj['experiment_state']
    assert set(state) == {'online_params', 'target_params', 'online_state', 'target_state', 'opt_state'}
    weight_decay, lars, scale = state['opt_state']
    assert weight_decay == {} and scale == {} and set(lars) == {'mu'}
    assert lars['mu']['res_net50/~/initial_conv']['w'].shape == (7, 7, 3, 1)
    assert type(state['online_state']['res_net50/~/initial_batchnorm/~/mean_ema']) is dict


def test_a_file_written_now_by_the_current_dill_converts_the_same_way(tmp_path):
    import dill  # a test requirement (requirements/tests.txt)
    path = tmp_path / 'pretrain_res50x1.pkl'
    run = subprocess.run([sys.executable, str(FIXTURE_DIR / 'make_fixture.py'), str(path), '--width', '2',
                          '--seed', '3', '--classes', '7'], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert f'dill {dill.__version__}' in run.stdout
    names = _globals(path)
    major, minor, patch = (int(p) for p in re.findall(r'\d+', dill.__version__)[:3])
    if (major, minor, patch) >= (0, 3, 5):
        assert 'dill._dill _create_array' in names
    assert_online_network(path, width=2, seed=3, classes=7)


# ------------------------------------------------------------------------------- what the dill helpers refuse
def _str(text: str) -> bytes:
    return b'X' + len(text.encode()).to_bytes(4, 'little') + text.encode()


def _global(module: str, name: str) -> bytes:
    return f'c{module}\n{name}\n'.encode()


def _call(function: bytes, *args: bytes) -> bytes:
    return function + b'(' + b''.join(args) + b'tR'


def _pickle(body: bytes) -> bytes:
    return b'\x80\x02' + body + b'.'


_IMPORT = lambda name: _call(_global('dill._dill', '_import_module'), _str(name))  # noqa: E731
_GET_ATTR = lambda module, name: _call(_global('dill._dill', '_get_attr'), module, _str(name))  # noqa: E731


@pytest.mark.parametrize('payload, refusal', [
    (_GET_ATTR(_IMPORT('os'), 'system'), r"_import_module\('os'\)"),
    (_GET_ATTR(_IMPORT('numpy'), 'load'), r"_import_module\('numpy'\)"),
    (_GET_ATTR(_IMPORT('numpy.core._multiarray_umath'), 'frombuffer'),
     r"_get_attr\(numpy.core._multiarray_umath, 'frombuffer'\)"),
    (_GET_ATTR(_IMPORT('_codecs'), 'decode'), r"_get_attr\(_codecs, 'decode'\)"),
    (_GET_ATTR(_str('builtins'), 'eval'), r"_get_attr\(str, 'eval'\)"),  # dill's form for builtins
    (_call(_GET_ATTR(_IMPORT('_codecs'), 'encode'), _str('abc'), _str('base64_codec')), 'encoding'),
    (_IMPORT('numpy.core._multiarray_umath') + b'}' + _str('x') + _str('y') + b's' + b'b', 'module state'),
    (_call(_global('dill._dill', '_create_array'), _GET_ATTR(_IMPORT('_codecs'), 'encode'), b')', b')', b'N'),
     'only numpy _reconstruct'),
    (_call(_global('dill._dill', '_create_array'), _GET_ATTR(_IMPORT('numpy.core._multiarray_umath'), '_reconstruct'),
           _call(_global('haiku._src.data_structures', 'FlatMapping')) + b')' + _str('b') + b'\x87', b')', b'N'),
     'only plain numpy.ndarray'),
])
def test_dill_helpers_reach_nothing_but_numpy_array_reconstruction(payload, refusal):
    with pytest.raises(pickle.UnpicklingError, match=refusal):
        load_bytes_as_pickle(_pickle(payload))


def test_refused_dill_file_is_one_clear_error_and_runs_nothing(tmp_path):
    path = tmp_path / 'pretrain_res50x1.pkl'
    path.write_bytes(_pickle(_call(_GET_ATTR(_IMPORT('os'), 'system'), _str(f'touch {tmp_path}/pwned'))))
    with pytest.raises(CheckpointError, match=r"pretrain_res50x1\.pkl: refused dill\._dill\._import_module\('os'\)"):
        convert(path)
    assert not (tmp_path / 'pwned').exists()


# ------------------------------------------------------------------------------------------- the toy BYOL file
def test_toy_byol_checkpoint_is_written_by_dill_as_deepmind_writes_it(toy_checkpoints):
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    names = _globals(toy_checkpoint_path(toy_checkpoints, 'byol'))
    assert {'dill._dill _create_namedtuple', 'dill._dill _create_array',
            'haiku._src.data_structures frozendict'} <= names


def test_toy_byol_checkpoint_without_dill_installed_still_names_the_same_classes(monkeypatch, tmp_path):
    from mmssl_transfer.toy import checkpoints as toy
    monkeypatch.setattr(toy, '_dill', lambda: None)
    folder = toy.make_toy_checkpoints(tmp_path, methods=['byol'], base_channels=2)
    names = _globals(toy.toy_checkpoint_path(folder, 'byol'))
    assert {'dill._dill _create_namedtuple', 'haiku._src.data_structures frozendict'} <= names
    assert 'dill._dill _create_array' not in names
    assert torch.equal(convert(toy.toy_checkpoint_path(folder, 'byol')).state_dict['conv1.weight'],
                       toy.toy_reference_state_dict(folder, 'byol')['conv1.weight'])
