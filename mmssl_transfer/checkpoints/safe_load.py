"""Open third-party checkpoint files without running code from them.

* PyTorch files (``.pth``, ``.pth.tar``, ``.pt``, zip or legacy format): ``torch.load(weights_only=True)``, which
  only rebuilds tensors and plain containers (``argparse.Namespace`` is admitted too: some releases store their
  training options that way, and it only carries attributes).
* ``.safetensors``: no pickle at all.
* Our own converted files carry their method and normalisation (:mod:`.metadata`): ``LoadedCheckpoint.metadata``.
* The BYOL ``.pkl`` (``dill.dump(..., protocol=2)`` of JAX/Haiku containers): the restricted unpickler of
  :mod:`mmssl_transfer.fileio` with :data:`BYOL_PICKLE_GLOBALS`, which admits numpy arrays/dtypes/scalars (also
  as dill writes them: ``_get_attr``/``_import_module`` of dill 0.3.2, ``_create_array`` of dill >= 0.3.5,
  limited to numpy's array reconstruction) and plain containers only. The few classes of the byol and haiku
  packages that the file names (the ``_ByolExperimentState`` namedtuple, dill's namedtuple factory, Haiku's
  ``frozendict`` / ``FlatMapping``) are mapped to plain stand-ins, so byol, haiku, jax and dill are never
  imported. Every other global - ``os.system``, ``builtins.eval``, ``subprocess.Popen``... - is refused before
  anything is called.

Every failure is a :class:`CheckpointError` with one line naming the file and the reason.
"""
from __future__ import annotations

import argparse
import collections
import keyword
import pickle
import pickletools
import re
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch

from mmssl_transfer.fileio import DILL_NUMPY_ARRAYS, NUMPY_ARRAYS, file_sha256, restricted_load, restricted_loads

from .errors import CheckpointError
from .metadata import pth_metadata

#: Modules whose namedtuple records (BYOL's experiment state, its optimiser state from byol/optax/optix) are
#: rebuilt as plain namedtuples; a namedtuple is data only, but we still admit just these origins.
_RECORD_MODULE_PREFIXES = ('byol.', 'optax.', 'jax.experimental.optix', 'jax.example_libraries.')


def _plain_namedtuple(name: str, fields: Any, module: str, *_unused: Any) -> type:
    """Stand-in for dill's ``_create_namedtuple``: a plain namedtuple type, without importing ``module``."""
    if not (isinstance(module, str) and module.startswith(_RECORD_MODULE_PREFIXES)):
        raise pickle.UnpicklingError(f'refused namedtuple {module}.{name}: only byol/optax/optix records are admitted')
    fields = tuple(fields)
    for ident in (name, *fields):
        if not (isinstance(ident, str) and ident.isidentifier() and not keyword.iskeyword(ident)):
            raise pickle.UnpicklingError(f'refused namedtuple {module}.{name}: bad field name {ident!r}')
    return collections.namedtuple(name, fields, module=module)


class _FlatMappingStandIn(dict):
    """Plain-dict stand-in for Haiku's ``FlatMapping`` (pickled by mapping, by flat tuple, or by its state)."""

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], dict):
            self.update(args[0])
        elif len(args) == 1 and isinstance(args[0], tuple):
            self._set_flat(*args[0])

    def _set_flat(self, leaves: Any, structure_and_index: Any) -> None:
        structure = structure_and_index[0]
        self.update(_unflatten_haiku(list(leaves), structure))

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict) and '_leaves' in state and '_structure' in state:
            self._set_flat(state['_leaves'], (state['_structure'], None))
        elif isinstance(state, dict):
            self.update(state)
        else:
            raise pickle.UnpicklingError('refused FlatMapping state of an unknown form')


def _unflatten_haiku(leaves: list, structure: Any) -> dict:
    """Rebuild a nested dict from Haiku's FlatMapping ``(leaves, structure)`` (keys in structure order)."""
    out: dict = {}
    for node in structure:
        if len(node) == 1:
            out[node[0]] = leaves.pop(0)
        else:
            out[node[0]] = _unflatten_haiku(leaves, node[1])
    return out


_BYOL_STATE = collections.namedtuple(
    '_ByolExperimentState', ('online_params', 'target_params', 'online_state', 'target_state', 'opt_state'),
    module='byol.byol_experiment')

#: The BYOL release pickle (``dill.dump(..., protocol=2)`` of JAX/Haiku containers): numpy arrays as plain pickle
#: or dill writes them, dill's namedtuple factory (for byol/optax/optix records only), the byol experiment state
#: and Haiku's mappings as plain stand-ins. Everything else is refused (see :mod:`mmssl_transfer.fileio`).
BYOL_PICKLE_GLOBALS: dict[tuple[str, str], Any] = {
    **NUMPY_ARRAYS,
    **DILL_NUMPY_ARRAYS,
    ('collections', 'OrderedDict'): collections.OrderedDict,
    ('dill._dill', '_create_namedtuple'): _plain_namedtuple,
    ('byol.byol_experiment', '_ByolExperimentState'): _BYOL_STATE,
    ('haiku._src.data_structures', 'frozendict'): dict,
    ('haiku._src.data_structures', 'FlatMapping'): _FlatMappingStandIn,
    ('haiku._src.data_structures', 'FlatMap'): _FlatMappingStandIn,
}


def to_plain(obj: Any) -> Any:
    """Turn namedtuples and mapping stand-ins into dicts, recursively; refuse object arrays."""
    if isinstance(obj, tuple) and hasattr(obj, '_asdict'):
        return {k: to_plain(v) for k, v in obj._asdict().items()}
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_plain(v) for v in obj)
    if isinstance(obj, np.ndarray) and obj.dtype.hasobject:
        raise pickle.UnpicklingError('refused numpy array of Python objects')
    return obj


def restricted_pickle_load(file: BinaryIO) -> Any:
    """Unpickle ``file`` with :data:`BYOL_PICKLE_GLOBALS` and return plain containers."""
    return to_plain(restricted_load(file, BYOL_PICKLE_GLOBALS, encoding='latin1'))


@dataclass
class LoadedCheckpoint:
    """A checkpoint file read into memory: the top-level object, how it was read, and its checksum."""

    obj: Any
    path: Path | None = None
    loader: str = 'object'  # 'torch' | 'safetensors' | 'pickle' | 'object'
    metadata: dict[str, str] = field(default_factory=dict)
    sha256: str | None = None


def _sniff(path: Path, head: bytes, size: int) -> str:
    """Guess the container format from the first bytes: 'zip', 'pickle', 'safetensors' or 'unknown'."""
    if head.startswith(b'PK\x03\x04'):
        return 'zip'
    if len(head) >= 9:
        (header_len,) = struct.unpack('<Q', head[:8])
        if head[8:9] == b'{' and 8 + header_len <= size:
            return 'safetensors'
        if head[8:9] == b'{' or path.name.endswith('.safetensors'):
            return 'safetensors'  # header longer than the file: a truncated safetensors file
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return 'pickle'
    return 'unknown'


def torch_error_reason(err: BaseException) -> str:
    """What a failed weights-only ``torch.load`` means, in words (never torch's advice to drop weights_only)."""
    text = str(err)
    operand = re.search(r'Unsupported operand (\d+)', text)
    if operand:
        opcode = pickletools.code2op.get(chr(int(operand.group(1))))
        name = f'pickle opcode {opcode.name}' if opcode else f'pickle opcode {operand.group(1)}'
        return (f'refused to load: a plain Python pickle ({name}), not a torch.save file; the safe loader reads '
                'torch.save files of tensors and plain containers only, and nothing in the file was run')
    unsafe = re.search(r'Unsupported global: GLOBAL ([\w.]+)', text) or re.search(
        r'(?:Trying to (?:call|load)|Unsupported class) ([^\n]+)', text)
    if 'Weights only load failed' in text or unsafe:
        what = unsafe.group(1).strip() if unsafe else 'non-tensor objects'
        what = what.split(' whose module ')[0].replace('unsupported GLOBAL ', '').rstrip('.')
        return (f'refused to load: the pickle inside needs {what!r}, which weights_only loading does not allow '
                '(a checkpoint must hold tensors and plain containers only); nothing in the file was run')
    first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    first = first.split('. This is an internal miniz error')[0]
    return f'truncated or corrupt file ({type(err).__name__}: {first[:160]})'


def _load_torch(path: Path) -> Any:
    with torch.serialization.safe_globals([argparse.Namespace]), warnings.catch_warnings():
        # a plain pickle is refused with a reason of its own (torch_error_reason); its protocol warning is noise
        warnings.filterwarnings('ignore', message='Detected pickle protocol')
        return torch.load(path, map_location='cpu', weights_only=True)


def _load_pickle(path: Path) -> Any:
    with open(path, 'rb') as f:
        return restricted_pickle_load(f)


def load_checkpoint(path: str | Path, sha256: str | None = None) -> LoadedCheckpoint:
    """Read a checkpoint file safely (see module docstring) and return its top-level object.

    Args:
        path: The checkpoint file.
        sha256: The file's sha256 when the caller already knows it
            (:class:`~mmssl_transfer.checkpoints.identity.BackboneIdentity`), so the file is not hashed twice.

    Raises:
        CheckpointError: missing file, not a checkpoint, truncated/corrupt, or unsafe content.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f'{path}: no such file')
    if not path.is_file():
        raise CheckpointError(f'{path}: not a file')
    size = path.stat().st_size
    if size == 0:
        raise CheckpointError(f'{path}: empty file, not a checkpoint')
    with open(path, 'rb') as f:
        head = f.read(16)
    kind = _sniff(path, head, size)
    metadata: dict[str, str] = {}
    if kind == 'unknown':
        raise CheckpointError(f'{path}: not a checkpoint file (neither a PyTorch zip/pickle, a pickle nor '
                              f'safetensors; it starts with {head[:8]!r})')
    if kind == 'safetensors':
        from safetensors import SafetensorError, safe_open
        from safetensors.torch import load_file
        try:
            obj = load_file(str(path), device='cpu')
            with safe_open(str(path), framework='pt') as f:
                metadata = dict(f.metadata() or {})
        except (SafetensorError, OSError, ValueError) as err:
            raise CheckpointError(f'{path}: truncated or corrupt safetensors file ({err})') from None
        loader = 'safetensors'
    elif kind == 'pickle' and path.suffix == '.pkl':
        obj, loader = _load_pickle_or_raise(path), 'pickle'
    else:
        try:
            obj, loader = _load_torch(path), 'torch'
        except Exception as err:  # noqa: BLE001 - every torch failure becomes one clear line
            if kind == 'pickle' and 'magic number' in str(err):
                obj, loader = _load_pickle_or_raise(path), 'pickle'  # a plain pickle under a .pth name
            else:
                raise CheckpointError(f'{path}: {torch_error_reason(err)}') from None
        metadata = pth_metadata(obj)  # our own converted .pth files record method and normalisation
    if not isinstance(obj, dict):
        raise CheckpointError(f'{path}: not a checkpoint: the file holds a {type(obj).__name__}, '
                              'not a dict of tensors')
    return LoadedCheckpoint(obj=obj, path=path, loader=loader, metadata=metadata,
                            sha256=sha256 or file_sha256(path))


def _load_pickle_or_raise(path: Path) -> Any:
    try:
        return _load_pickle(path)
    except pickle.UnpicklingError as err:
        if str(err).startswith('refused'):
            raise CheckpointError(f'{path}: {err}: the restricted unpickler admits numpy arrays and plain '
                                  'containers only, nothing was executed') from None
        raise CheckpointError(f'{path}: truncated or corrupt pickle ({err})') from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, struct.error, MemoryError) as err:
        raise CheckpointError(f'{path}: truncated or corrupt pickle ({type(err).__name__}: {err})') from None


def load_bytes_as_pickle(data: bytes) -> Any:
    """Restricted-unpickle an in-memory pickle (used by tests and by callers that already hold bytes)."""
    return to_plain(restricted_loads(data, BYOL_PICKLE_GLOBALS, encoding='latin1'))
