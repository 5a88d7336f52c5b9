"""Safe file I/O: every caller's unpickler allow-list refuses code, and atomic writes never leave partial files."""
import collections
import gzip
import hashlib
import json
import os
import pickle
import stat

import numpy as np
import pytest

from mmssl_transfer.checkpoints.safe_load import BYOL_PICKLE_GLOBALS
from mmssl_transfer.datasets.classification.many_shot import CIFAR_PICKLE_GLOBALS
from mmssl_transfer.datasets.nyuv2_release import SAFE_GLOBALS as NYUV2_PICKLE_GLOBALS
from mmssl_transfer.datasets.nyuv2_release import ReleaseError, load_release_normals
from mmssl_transfer.fileio import atomic_open, atomic_path, file_sha256, restricted_loads, write_text_atomic
from mmssl_transfer.results import write_json_atomic

CALLERS = {'checkpoints (BYOL pickle)': BYOL_PICKLE_GLOBALS, 'datasets (NYUv2 normals)': NYUV2_PICKLE_GLOBALS,
           'datasets (CIFAR batches)': CIFAR_PICKLE_GLOBALS}


class RunsShell:
    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return os.system, (f'touch {self.sentinel}',)


def _codecs_encode_payload(text: str, encoding: str) -> bytes:
    """``_codecs.encode(text, encoding)`` as a protocol-2 pickle (how Python 3 pickles bytes, with another codec)."""
    blob = lambda s: b'X' + len(s.encode()).to_bytes(4, 'little') + s.encode()  # noqa: E731 - BINUNICODE
    return b'\x80\x02c_codecs\nencode\n' + blob(text) + blob(encoding) + b'\x86R.'


@pytest.fixture(params=list(CALLERS), ids=list(CALLERS))
def allowed(request):
    return CALLERS[request.param]


def test_every_allow_list_refuses_a_code_running_reduce(allowed, tmp_path):
    sentinel = tmp_path / 'pwned'
    data = pickle.dumps({'x': RunsShell(sentinel)}, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match=r'refused global (posix|os)\.system'):
        restricted_loads(data, allowed, encoding='latin1')
    assert not sentinel.exists()
    pickle.loads(data)  # the same bytes do run the command with a plain unpickler: the test is real
    assert sentinel.exists()


def test_every_allow_list_refuses_an_unknown_global(allowed):
    with pytest.raises(pickle.UnpicklingError, match='refused global collections.Counter'):
        restricted_loads(pickle.dumps(collections.Counter('ab'), protocol=2), allowed)


@pytest.mark.parametrize('encoding', ['utf-8', 'base64_codec', 'zlib_codec', 'no-such-codec'])
def test_every_allow_list_refuses_codecs_encode_other_than_latin1(allowed, encoding):
    with pytest.raises(pickle.UnpicklingError, match='refused'):
        restricted_loads(_codecs_encode_payload('abc', encoding), allowed)


def test_every_allow_list_rebuilds_numpy_arrays_and_latin1_bytes(allowed):
    data = pickle.dumps({'w': np.arange(6, dtype=np.float32).reshape(2, 3), 'b': b'\xff\x00'}, protocol=2)
    assert b'c_codecs\nencode' in data
    loaded = restricted_loads(data, allowed, encoding='latin1')
    assert loaded['b'] == b'\xff\x00' and loaded['w'].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert restricted_loads(_codecs_encode_payload('\xff', 'latin-1'), allowed) == b'\xff'


def test_allow_lists_are_lists_of_objects_not_of_imports():
    # a caller's list holds the objects themselves: the unpickler never imports what a file names
    for allowed in CALLERS.values():
        assert all(not isinstance(v, str) for v in allowed.values())
        assert ('dill._dill', '_get_attr') not in allowed or allowed is BYOL_PICKLE_GLOBALS


def test_callers_refuse_through_the_common_unpickler(tmp_path):
    path = tmp_path / 'all_normals.pklz'
    with gzip.open(path, 'wb') as f:
        f.write(_codecs_encode_payload('abc', 'utf-8'))
    with pytest.raises(ReleaseError, match=r"all_normals\.pklz: .*refused _codecs\.encode with encoding 'utf-8'"):
        load_release_normals(path)


# ------------------------------------------------------------------------------------------------ checksums
def test_file_sha256_matches_hashlib_across_chunk_boundaries(tmp_path):
    data = os.urandom(3 * 1024 + 17)
    (tmp_path / 'f').write_bytes(data)
    assert file_sha256(tmp_path / 'f', chunk=1024) == hashlib.sha256(data).hexdigest() == file_sha256(tmp_path / 'f')


# ------------------------------------------------------------------------------------------------ atomic writes
def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize('interruption', [RuntimeError, KeyboardInterrupt])
def test_atomic_path_interrupted_mid_write_leaves_no_partial_file(tmp_path, interruption):
    dst = tmp_path / 'out' / 'weights.bin'
    with pytest.raises(interruption):
        with atomic_path(dst) as tmp:
            assert tmp.parent == dst.parent and tmp != dst
            with open(tmp, 'wb') as f:
                f.write(b'half of the')
                raise interruption()
    assert _leftovers(dst.parent) == []


def test_atomic_open_interrupted_keeps_the_old_file_whole(tmp_path):
    dst = tmp_path / 'split.txt'
    write_text_atomic(dst, 'old complete content\n')
    with pytest.raises(RuntimeError):
        with atomic_open(dst) as f:
            f.write('new but ')
            f.flush()
            raise RuntimeError('disk full')
    assert dst.read_text() == 'old complete content\n'
    assert _leftovers(tmp_path) == ['split.txt']


def test_write_json_atomic_interrupted_mid_dump_keeps_the_old_record(tmp_path):
    class Unserialisable:
        pass

    dst = write_json_atomic(tmp_path / 'result.json', {'a': 1})
    with pytest.raises(TypeError):
        write_json_atomic(dst, {'a': 2, 'z': Unserialisable()})  # json.dump fails after writing part of it
    assert json.loads(dst.read_text()) == {'a': 1} and _leftovers(tmp_path) == ['result.json']


def test_atomic_write_completes_with_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        dst = write_text_atomic(tmp_path / 'a' / 'b.txt', 'x')
    finally:
        os.umask(old)
    assert dst.read_text() == 'x' and stat.S_IMODE(dst.stat().st_mode) == 0o644
    assert _leftovers(dst.parent) == ['b.txt']
