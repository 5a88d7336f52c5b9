"""Safe file I/O, in one place: the restricted unpickler, file checksums and atomic writes.

Restricted unpickling
    Pickles from the internet (checkpoints, dataset releases) are untrusted: unpickling calls whatever global the
    file names. :class:`RestrictedUnpickler` resolves a global only from the *allow-list* its caller passes (a
    mapping ``(module, name) -> object``), never imports anything, and refuses every other global with
    ``pickle.UnpicklingError('refused global <module>.<name>')`` before anything is called. Callers build their
    allow-list declaratively from the pieces below, so the rules for each piece live here once:

    * :data:`NUMPY_ARRAYS`: numpy arrays, dtypes and scalars as ``ndarray.__reduce__`` writes them (numpy 1 and 2
      module paths), and ``_codecs.encode`` restricted to latin-1 (how protocol 2 writes ``bytes`` in Python 3);
    * :data:`NUMPY_PROTOCOL5`: ``_frombuffer``, which numpy uses for protocol-5 pickles;
    * :data:`DILL_NUMPY_ARRAYS`: the dill helpers with which ``dill.dump`` writes numpy arrays (``_get_attr`` /
      ``_import_module`` in dill <= 0.3.4, ``_create_array`` in dill >= 0.3.5), each admitted only for numpy's
      array reconstruction and latin-1 ``_codecs.encode``: nothing is imported and no other attribute is reached.

File checksums
    :func:`file_sha256`, :func:`file_digest` (any hashlib algorithm, e.g. the md5 some authors publish).

Atomic writes
    :func:`atomic_path` (a temporary path beside the destination that replaces it in one ``os.replace`` on
    success and is removed on any error or interruption), :func:`atomic_open` and :func:`write_text_atomic` on
    top of it. A reader sees the old file or the whole new one, never a partial file.
"""
from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import os
import pickle
import secrets
from pathlib import Path
from typing import IO, Any, BinaryIO, Iterator, Mapping

import numpy as np

#: An allow-list: ``(module, name)`` as the pickle spells it -> the object handed out for it.
AllowList = Mapping[tuple[str, str], Any]

_np_core = np._core if hasattr(np, '_core') else np.core  # numpy 2 / numpy 1
_reconstruct = _np_core.multiarray._reconstruct
_scalar = _np_core.multiarray.scalar
_frombuffer = _np_core.numeric._frombuffer

#: The numpy modules a pickle may name for the C functions of array reconstruction (numpy 1 and 2 spellings;
#: ``_multiarray_umath`` is where the functions really live, which is what dill records).
_MULTIARRAY_MODULES = ('numpy.core.multiarray', 'numpy._core.multiarray', 'numpy.core._multiarray_umath',
                       'numpy._core._multiarray_umath')


def latin1_encode(text: str, encoding: str = 'latin1') -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it to rebuild ``bytes``: only the latin-1 form is admitted."""
    if not isinstance(text, str) or not isinstance(encoding, str):
        raise pickle.UnpicklingError('refused _codecs.encode of a non-string')
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = encoding
    if name != 'iso8859-1':
        raise pickle.UnpicklingError(f'refused _codecs.encode with encoding {encoding!r} (only latin-1 is admitted)')
    return text.encode('latin1')


#: The C functions of numpy array reconstruction, by every module path a pickle may give them.
_NUMPY_FUNCTIONS: dict[tuple[str, str], Any] = {
    **{(module, '_reconstruct'): _reconstruct for module in _MULTIARRAY_MODULES},
    **{(module, 'scalar'): _scalar for module in _MULTIARRAY_MODULES},
}

NUMPY_ARRAYS: dict[tuple[str, str], Any] = {
    **{key: obj for key, obj in _NUMPY_FUNCTIONS.items() if key[0].endswith('.multiarray')},
    ('numpy', 'ndarray'): np.ndarray,
    ('numpy', 'dtype'): np.dtype,
    ('_codecs', 'encode'): latin1_encode,
}

NUMPY_PROTOCOL5: dict[tuple[str, str], Any] = {
    ('numpy.core.numeric', '_frombuffer'): _frombuffer,
    ('numpy._core.numeric', '_frombuffer'): _frombuffer,
}

#: What dill's ``_get_attr(_import_module(module), name)`` may reach: array reconstruction and latin-1 encode.
_DILL_ATTRIBUTES: dict[tuple[str, str], Any] = {**_NUMPY_FUNCTIONS, ('_codecs', 'encode'): latin1_encode}


class _ModuleName:
    """What dill's ``_import_module`` yields here: the name of an admitted module, never the module itself."""

    __slots__ = ('name',)

    def __init__(self, name: str) -> None:
        self.name = name

    def __setstate__(self, state: Any) -> None:  # dill writes a non-installed module's __dict__ as its state
        raise pickle.UnpicklingError(f'refused module state for {self.name}')


def _dill_import_module(import_name: str, safe: bool = False) -> _ModuleName:
    """Stand-in for ``dill._dill._import_module``: admits the modules of :data:`_DILL_ATTRIBUTES` by name."""
    if not any(module == import_name for module, _ in _DILL_ATTRIBUTES):
        raise pickle.UnpicklingError(f'refused dill._dill._import_module({import_name!r})')
    return _ModuleName(import_name)


def _dill_get_attr(module: Any, name: str) -> Any:
    """Stand-in for ``dill._dill._get_attr``: only the admitted attributes of an admitted module."""
    if not isinstance(module, _ModuleName) or (module.name, name) not in _DILL_ATTRIBUTES:
        where = module.name if isinstance(module, _ModuleName) else type(module).__name__
        raise pickle.UnpicklingError(f'refused dill._dill._get_attr({where}, {name!r})')
    return _DILL_ATTRIBUTES[(module.name, name)]


def _dill_create_array(f: Any, args: Any, state: Any, npdict: Any = None) -> np.ndarray:
    """Stand-in for ``dill._dill._create_array``: a plain ``ndarray`` rebuilt by numpy's ``_reconstruct``."""
    if f is not _reconstruct:
        raise pickle.UnpicklingError(f'refused dill._dill._create_array through {f!r}: only numpy _reconstruct')
    if not (isinstance(args, tuple) and len(args) == 3 and args[0] is np.ndarray):
        raise pickle.UnpicklingError('refused dill._dill._create_array: only plain numpy.ndarray is admitted')
    if npdict:
        raise pickle.UnpicklingError('refused dill._dill._create_array with instance attributes (ndarray subclass)')
    array = _reconstruct(*args)
    array.__setstate__(state)
    return array


DILL_NUMPY_ARRAYS: dict[tuple[str, str], Any] = {
    ('dill._dill', '_import_module'): _dill_import_module,
    ('dill._dill', '_get_attr'): _dill_get_attr,
    ('dill._dill', '_create_array'): _dill_create_array,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves globals only from ``allowed``; any other global is refused, nothing imported.

    Args:
        file: Binary file to read.
        allowed: The caller's allow-list, ``(module, name) -> object``.
        encoding: How to decode Python 2 ``str`` (``'latin1'`` for pickles holding numpy arrays).
    """

    def __init__(self, file: BinaryIO, allowed: AllowList, *, encoding: str = 'ASCII') -> None:
        super().__init__(file, encoding=encoding)
        self._allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except (KeyError, TypeError):
            raise pickle.UnpicklingError(f'refused global {module}.{name}') from None


def restricted_load(file: BinaryIO, allowed: AllowList, *, encoding: str = 'ASCII') -> Any:
    """Unpickle ``file`` with :class:`RestrictedUnpickler` and ``allowed``."""
    return RestrictedUnpickler(file, allowed, encoding=encoding).load()


def restricted_loads(data: bytes, allowed: AllowList, *, encoding: str = 'ASCII') -> Any:
    """Unpickle in-memory ``data`` with :class:`RestrictedUnpickler` and ``allowed``."""
    return restricted_load(io.BytesIO(data), allowed, encoding=encoding)


# ------------------------------------------------------------------------------------------------ checksums
def file_digest(path: str | os.PathLike, algorithm: str = 'sha256', chunk: int = 1 << 20) -> str:
    """Hex digest of a file (any ``hashlib`` algorithm), read in chunks."""
    digest = hashlib.new(algorithm, usedforsecurity=algorithm != 'md5')
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    return file_digest(path, 'sha256', chunk)


# ------------------------------------------------------------------------------------------------ atomic writes
@contextlib.contextmanager
def atomic_path(dst: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``dst`` (parents created); write the file there.

    When the block ends normally the file is flushed to disk and replaces ``dst`` in one ``os.replace``; when it
    raises (or is interrupted) the temporary file is removed and ``dst`` is left as it was. The file gets the
    permissions of a normally created file (``0o666`` less the umask).
    """
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = dst.with_name(f'.{dst.name}.{secrets.token_hex(4)}.tmp')
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield tmp
        with open(tmp, 'rb+') as f:
            os.fsync(f.fileno())
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(dst: str | os.PathLike, mode: str = 'w', encoding: str | None = None) -> Iterator[IO]:
    """``open(dst, mode)`` through :func:`atomic_path`: ``dst`` appears only once the block has completed."""
    if not mode.startswith('w'):
        raise ValueError(f"atomic_open writes a new file: mode must start with 'w', got {mode!r}")
    if encoding is None and 'b' not in mode:
        encoding = 'utf-8'
    with atomic_path(dst) as tmp, open(tmp, mode, encoding=encoding) as f:
        yield f


def write_text_atomic(dst: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (utf-8) to ``dst`` atomically and return ``dst`` as a Path."""
    with atomic_open(dst, 'w') as f:
        f.write(text)
    return Path(dst)
