"""Untrusted files run no code: restricted unpickler for the BYOL pickle, weights_only for .pth files."""
import collections
import os
import pickle
import sys

import numpy as np
import pytest
import torch

from mmssl_transfer.checkpoints import CheckpointError, convert, load_checkpoint
from mmssl_transfer.checkpoints.safe_load import load_bytes_as_pickle
from mmssl_transfer.toy.checkpoints import toy_checkpoint_path


class RunsShell:
    """Unpickling this would run a shell command that creates the sentinel file."""

    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return os.system, (f'touch {self.sentinel}',)


class CallsEval:
    def __reduce__(self):
        return eval, ("open('/tmp/never', 'w')",)


def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path):
    sentinel = tmp_path / 'pwned'
    path = tmp_path / 'byol.pkl'
    path.write_bytes(pickle.dumps({'experiment_state': RunsShell(sentinel), 'step': 1}, protocol=2))
    with pytest.raises(CheckpointError, match=r'byol\.pkl: refused global (posix|os)\.system.*nothing was executed'):
        load_checkpoint(path)
    with pytest.raises(CheckpointError):
        convert(path)
    assert not sentinel.exists()
    # the same bytes *would* run the command with a plain pickle.load: the sentinel proves the test is real
    pickle.loads(path.read_bytes())
    assert sentinel.exists()


def test_builtins_eval_is_refused_too():
    with pytest.raises(pickle.UnpicklingError, match='refused global builtins.eval'):
        load_bytes_as_pickle(pickle.dumps(CallsEval(), protocol=4))


def test_malicious_pth_is_refused_by_weights_only_loading(tmp_path):
    sentinel = tmp_path / 'pwned'
    path = tmp_path / 'model.pth'
    torch.save({'state_dict': {'conv1.weight': torch.zeros(1)}, 'hook': RunsShell(sentinel)}, path)
    with pytest.raises(CheckpointError, match=r"model\.pth: refused to load: .*(posix|os)\.system.*weights_only"):
        load_checkpoint(path)
    assert not sentinel.exists()


def test_malicious_pickle_under_a_pth_name_is_refused(tmp_path):
    sentinel = tmp_path / 'pwned'
    path = tmp_path / 'renamed.pth'
    path.write_bytes(pickle.dumps({'x': RunsShell(sentinel)}, protocol=2))
    with pytest.raises(CheckpointError, match='refused'):
        load_checkpoint(path)
    # protocol 4 (pickle's default): the reason is readable, not torch's opcode number ("needs '149'")
    path.write_bytes(pickle.dumps({'x': RunsShell(sentinel)}, protocol=4))
    with pytest.raises(CheckpointError, match=r'renamed\.pth: refused to load: a plain Python pickle '
                                              r'\(pickle opcode FRAME\), not a torch\.save file') as info:
        load_checkpoint(path)
    assert '149' not in str(info.value) and 'weights_only=False' not in str(info.value)
    assert not sentinel.exists()


def test_byol_pickle_becomes_plain_containers(toy_checkpoints, monkeypatch):
    for name in ('byol', 'haiku', 'jax', 'dill', 'dill._dill'):  # importing any of them would now fail
        monkeypatch.setitem(sys.modules, name, None)
    obj = load_checkpoint(toy_checkpoint_path(toy_checkpoints, 'byol')).obj
    assert set(obj) == {'experiment_state', 'step', 'rng'}
    state = obj['experiment_state']
    assert type(state) is dict and set(state) == {'online_params', 'target_params', 'online_state',
                                                  'target_state', 'opt_state'}
    conv = state['online_params']['res_net50/~/initial_conv']
    assert type(conv) is dict and isinstance(conv['w'], np.ndarray) and conv['w'].shape == (7, 7, 3, 8)
    weight_decay, lars, scale = state['opt_state']
    assert weight_decay == {} and scale == {} and lars['mu']['res_net50/~/initial_conv']['w'].shape == (7, 7, 3, 8)


def test_byol_state_pickled_as_a_plain_class_reference_also_loads():
    # Without dill, the namedtuple class is pickled by reference: byol.byol_experiment._ByolExperimentState.
    import types
    cls = collections.namedtuple('_ByolExperimentState', ('online_params', 'target_params', 'online_state',
                                                          'target_state', 'opt_state'))
    cls.__module__ = 'byol.byol_experiment'
    fake = types.ModuleType('byol.byol_experiment')
    fake._ByolExperimentState = cls
    sys.modules.update({'byol': types.ModuleType('byol'), 'byol.byol_experiment': fake})
    try:
        data = pickle.dumps({'experiment_state': cls({'a/~/b': {'w': np.ones(2)}}, {}, {}, {}, ())}, protocol=2)
    finally:
        del sys.modules['byol.byol_experiment'], sys.modules['byol']
    assert b'cbyol.byol_experiment\n_ByolExperimentState\n' in data
    loaded = load_bytes_as_pickle(data)
    assert loaded['experiment_state']['online_params']['a/~/b']['w'].tolist() == [1.0, 1.0]


def test_haiku_flat_mapping_state_is_rebuilt_as_a_dict():
    # Haiku FlatMapping pickled by its state: leaves + structure, as the class had no __reduce__.
    data = (b'\x80\x02chaiku._src.data_structures\nFlatMapping\n)\x81}(X\x07\x00\x00\x00_leavesK\x01K\x02\x86'
            b'X\n\x00\x00\x00_structureX\x01\x00\x00\x00a\x85X\x01\x00\x00\x00b\x85\x86X\x06\x00\x00\x00_index}ub.')
    assert load_bytes_as_pickle(data) == {'a': 1, 'b': 2}


def test_object_arrays_are_refused():
    with pytest.raises(pickle.UnpicklingError, match='objects'):
        load_bytes_as_pickle(pickle.dumps(np.array([1, 'x'], dtype=object), protocol=2))


def test_namedtuples_from_foreign_modules_are_refused():
    # dill._dill._create_namedtuple('T', ['a'], 'os'): only byol/optax/optix record types are rebuilt
    payload = (b'\x80\x02cdill._dill\n_create_namedtuple\nX\x01\x00\x00\x00T]X\x01\x00\x00\x00a'
               b'aX\x02\x00\x00\x00os\x87R.')
    with pytest.raises(pickle.UnpicklingError, match='only byol/optax/optix records'):
        load_bytes_as_pickle(payload)


def test_arrays_pickled_by_numpy_1_load_without_importing_numpy_core():
    data = pickle.dumps({'w': np.arange(6, dtype=np.float32).reshape(2, 3)}, protocol=2)
    legacy = data.replace(b'cnumpy._core.multiarray\n', b'cnumpy.core.multiarray\n')
    assert legacy != data
    loaded = load_bytes_as_pickle(legacy)
    assert loaded['w'].dtype == np.float32 and loaded['w'].tolist() == [[0, 1, 2], [3, 4, 5]]
