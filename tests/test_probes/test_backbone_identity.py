"""The backbone is identified once: a cold linear probe over three splits hashes, loads and converts its checkpoint
once; a warm one (every split cached) does none of it, and both record the same method and sha256."""
import importlib.util
import sys
from pathlib import Path

import pytest

import mmssl_transfer.checkpoints.identity as identity_module
from mmssl_transfer import fileio
from mmssl_transfer.checkpoints import BackboneIdentity, CheckpointError, IdentityMemo, identify
from mmssl_transfer.fileio import file_sha256
from mmssl_transfer.results import read_result

TOOLS = Path(__file__).resolve().parents[2] / 'tools'


@pytest.fixture
def counters(monkeypatch, toy_ckpt):
    """How often the toy checkpoint is hashed, loaded and converted (wherever in the package it happens)."""
    return _counting(monkeypatch, toy_ckpt)


def _counting(monkeypatch, checkpoint) -> dict[str, int]:
    counts = {'hash': 0, 'load': 0, 'convert': 0}
    target = Path(checkpoint).resolve()
    digest, load, convert = fileio.file_digest, identity_module.load_checkpoint, identity_module.convert

    def counting_digest(path, *args, **kwargs):
        counts['hash'] += Path(path).resolve() == target
        return digest(path, *args, **kwargs)

    def counting_load(*args, **kwargs):
        counts['load'] += 1
        return load(*args, **kwargs)

    def counting_convert(*args, **kwargs):
        counts['convert'] += 1
        return convert(*args, **kwargs)

    monkeypatch.setattr(fileio, 'file_digest', counting_digest)
    monkeypatch.setattr(identity_module, 'load_checkpoint', counting_load)
    monkeypatch.setattr(identity_module, 'convert', counting_convert)
    monkeypatch.setattr(sys.modules['mmssl_transfer.checkpoints.convert'], 'convert', counting_convert)
    monkeypatch.setattr(sys.modules['mmssl_transfer.checkpoints.safe_load'], 'load_checkpoint', counting_load)
    return counts


def _linear_probe_tool():
    spec = importlib.util.spec_from_file_location('tool_linear_probe_identity', TOOLS / 'linear_probe.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def test_cold_run_converts_and_hashes_once_and_warm_run_not_at_all(toy_cls, toy_ckpt, tmp_path, counters):
    args = ['--checkpoint', str(toy_ckpt), '--base-channels', '8', '--dataset', 'dtd',  # method detected
            '--data-root', str(toy_cls / 'dtd'), '--cache-dir', str(tmp_path / 'cache'), '--image-size', '32',
            '--workers', '0', '--device', 'cpu', '--grid-size', '5', '--max-iter', '50']
    tool = _linear_probe_tool()
    assert tool(args + ['--out', str(tmp_path / 'cold.json')]) == 0
    assert counters == {'hash': 1, 'load': 1, 'convert': 1}  # three splits extracted, one conversion
    assert len(list((tmp_path / 'cache').rglob('*.safetensors'))) == 3
    counters.update(hash=0, load=0, convert=0)
    assert tool(args + ['--out', str(tmp_path / 'warm.json')]) == 0
    assert counters == {'hash': 0, 'load': 0, 'convert': 0}  # all features cached: nothing read
    cold, warm = read_result(tmp_path / 'cold.json'), read_result(tmp_path / 'warm.json')
    assert (warm.method, warm.checkpoint_sha256) == (cold.method, cold.checkpoint_sha256) == (
        'mocov2', file_sha256(toy_ckpt))
    assert warm.value == cold.value


def test_a_vit_file_is_identified_and_converted_once_too(toy_cls, tmp_path, monkeypatch):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from vit_reference import authors_model, write_release
    ckpt = write_release(authors_model('dino_vits16', depth=2), tmp_path / 'dino_deitsmall16_pretrain.pth', 'dino')
    counters = _counting(monkeypatch, ckpt)
    args = ['--checkpoint', str(ckpt), '--base-channels', '8', '--dataset', 'dtd',  # a toy-width ViT, detected
            '--data-root', str(toy_cls / 'dtd'), '--cache-dir', str(tmp_path / 'cache'), '--image-size', '32',
            '--workers', '0', '--device', 'cpu', '--grid-size', '5', '--max-iter', '50']
    tool = _linear_probe_tool()
    assert tool(args + ['--out', str(tmp_path / 'cold.json')]) == 0
    assert counters == {'hash': 1, 'load': 1, 'convert': 1}  # detection, SSLViT's width and its weights: one
    counters.update(hash=0, load=0, convert=0)
    assert tool(args + ['--out', str(tmp_path / 'warm.json')]) == 0
    assert counters == {'hash': 0, 'load': 0, 'convert': 0}
    cold, warm = read_result(tmp_path / 'cold.json'), read_result(tmp_path / 'warm.json')
    assert (warm.method, warm.checkpoint_sha256, warm.value) == (cold.method, cold.checkpoint_sha256, cold.value)
    assert cold.method == 'dino_vits16' and cold.extra['feature'] == 'cls_patch_mean'
    assert 'feature=' not in cold.hparams['variant']  # the benchmark-wide feature is no departure


def test_identity_resolves_files_and_zoo_names_in_one_place(toy_ckpt, tmp_path, counters):
    identity = identify(toy_ckpt)
    assert isinstance(identity, BackboneIdentity) and identity.requested == 'auto'
    assert counters == {'hash': 0, 'load': 0, 'convert': 0}  # nothing is read before it is needed
    assert identity.normalization == 'imagenet' and identity.method == 'mocov2'
    assert identity.sha256 == identity.report.sha256 and identity.tag == Path(toy_ckpt).name.split('.')[0]
    assert counters == {'hash': 1, 'load': 1, 'convert': 1}
    assert identify(identity) is identity
    scratch = identify(None)
    assert (scratch.method, scratch.sha256, scratch.is_scratch, scratch.report) == ('scratch', '', True, None)
    given = identify(toy_ckpt, 'MoCo-v2')  # a given method needs no detection
    assert (given.requested, given.method, given.candidates) == ('mocov2', 'mocov2', ('mocov2',))
    with pytest.raises(CheckpointError, match='no such file, and not a zoo method name'):
        identify(tmp_path / 'missing.pth')
    with pytest.raises(CheckpointError, match="unknown method 'nope'"):
        identify(toy_ckpt, 'nope')


def test_memo_remembers_hash_and_detection_until_the_file_changes(toy_ckpt, tmp_path, counters):
    memo_file = tmp_path / 'memo'
    first = identify(toy_ckpt, memo=memo_file)
    assert first.method == 'mocov2'
    counters.update(hash=0, load=0, convert=0)
    again = identify(toy_ckpt, memo=IdentityMemo(memo_file))
    assert (again.method, again.sha256, again.candidates) == (first.method, first.sha256, ('mocov2',))
    assert counters == {'hash': 0, 'load': 0, 'convert': 0}
    copy = tmp_path / 'copy.pth'
    copy.write_bytes(Path(toy_ckpt).read_bytes())
    memo = IdentityMemo(memo_file)
    assert memo.get(copy) == first.sha256 and memo.sha256(copy) == first.sha256
    copy.write_bytes(Path(toy_ckpt).read_bytes() + b'\0')  # changed size: hashed again
    assert memo.sha256(copy) is None and memo.get(copy) != first.sha256
