"""compat: mmengine Runner checkpoints load on torch>=2.6 with weights_only=True, untrusted pickles still refused."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from mmssl_transfer import compat

compat.apply()


def runner_like_checkpoint() -> dict:
    """The kinds of objects mmengine's Runner.save_checkpoint writes besides tensors."""
    buffer = HistoryBuffer()
    buffer.update(1.5)
    return dict(
        meta=dict(epoch=1, iter=10, seed=np.int64(3), dataset_meta=dict(classes=('a', 'b')),
                  message_hub=dict(log_scalars={'train/loss': buffer}, runtime_info={'iter': 10},
                                   resumed_keys={'iter': True}),
                  np_values=np.arange(3, dtype=np.float32)),
        state_dict={'w': torch.ones(2)},
        optimizer={'state': {}, 'param_groups': [{'lr': 0.1, 'params': [0]}]},
    )


def test_runner_checkpoint_with_numpy_and_history_buffer_loads(tmp_path):
    path = tmp_path / 'iter_10.pth'
    torch.save(runner_like_checkpoint(), path)
    loaded = _load_checkpoint(str(path), map_location='cpu')
    assert loaded['meta']['seed'] == 3
    assert loaded['meta']['message_hub']['log_scalars']['train/loss'].current() == 1.5
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))


class RunsCode:
    """A pickle payload that would create a file when unpickled."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (os.system, (f'touch {self.target}',))


def test_code_running_pickle_is_still_refused_by_the_runner_loader(tmp_path):
    sentinel = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': RunsCode(str(sentinel))}, path)
    with pytest.raises(pickle.UnpicklingError):
        _load_checkpoint(str(path), map_location='cpu')
    assert not sentinel.exists()


def test_patches_apply_once_and_are_listed():
    before = set(compat._APPLIED)
    compat.apply()
    assert set(compat._APPLIED) == before == {p.__name__ for p in compat.PATCHES}


class ReachesThroughGetattr:
    """A payload that uses the getattr allowed for HistoryBuffer on something else."""

    def __reduce__(self):
        return (getattr, (np.ndarray, 'tofile'))


def test_getattr_in_runner_checkpoints_only_reaches_history_buffer_statistics(tmp_path):
    path = tmp_path / 'reach.pth'
    torch.save({'meta': ReachesThroughGetattr()}, path)
    with pytest.raises(pickle.UnpicklingError, match='refusing getattr'):
        _load_checkpoint(str(path), map_location='cpu')


WARNINGS_PROBE = '''
import sys, warnings
import mmssl_transfer  # noqa: F401  (in the install's environment a .pth file imports it at start anyway)
if sys.argv[1] == 'filters-reset':
    warnings.resetwarnings()
from mmengine.utils import is_installed
with warnings.catch_warnings(record=True) as caught:
    is_installed('mmengine')  # imports and reloads pkg_resources (mmengine 0.10.7)
print(sum('pkg_resources' in str(w.message) for w in caught))
'''


def test_importing_the_package_silences_mmengines_pkg_resources_warning_and_only_that():
    """mmengine 0.10.7 warns on every is_installed call (open-mmlab/mmengine#1676); the filter is that narrow."""
    import subprocess
    import sys
    counts = {how: subprocess.run([sys.executable, '-W', 'default', '-c', WARNINGS_PROBE, how], check=True,
                                  capture_output=True, text=True).stdout.split()[-1]
              for how in ('filters-reset', 'package-filters')}
    assert int(counts['filters-reset']) >= 1 and counts['package-filters'] == '0'  # import and reload: 2
    compat.silence_known_warnings()
    with pytest.warns(UserWarning, match='other'):
        import warnings
        warnings.warn('other deprecation', UserWarning)
