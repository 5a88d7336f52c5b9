"""Cached features: right shape and normalisation, a second run never runs the backbone, corruption rebuilds."""
import json

import pytest
import torch

from mmssl_transfer.probes import features as feat_mod
from mmssl_transfer.probes.features import ExtractionSpec, FeatureCache, cached_features

SPEC = ExtractionSpec(resize=32, crop=32)


@pytest.fixture
def forward_calls(monkeypatch):
    calls = []
    original = feat_mod.GAPFeatureExtractor.forward

    def counting(self, batch):
        calls.append(len(batch['inputs']))
        return original(self, batch)

    monkeypatch.setattr(feat_mod.GAPFeatureExtractor, 'forward', counting)
    return calls


def _get(toy_cls, toy_ckpt, cache, split='train', spec=SPEC, dataset='dtd'):
    return cached_features(cache, toy_ckpt, dataset, split, data_root=str(toy_cls / dataset), method='mocov2',
                           base_channels=8, spec=spec, batch_size=16, num_workers=0, device='cpu',
                           progress=False)


def test_features_are_gap_of_stage4_and_labels_match(toy_cls, toy_ckpt, tmp_path, forward_calls):
    fs = _get(toy_cls, toy_ckpt, tmp_path)
    assert fs.features.shape == (50, 256) and fs.features.dtype == torch.float32
    assert (fs.features >= 0).all()  # average of post-ReLU activations
    assert torch.bincount(fs.labels).tolist() == [10] * 5
    assert sum(forward_calls) == 50


def test_second_run_reads_the_cache_without_the_backbone(toy_cls, toy_ckpt, tmp_path, forward_calls, monkeypatch):
    first = _get(toy_cls, toy_ckpt, tmp_path)
    forward_calls.clear()
    monkeypatch.setattr(feat_mod, 'build_extractor', lambda *a, **k: pytest.fail('backbone built on a hit'))
    second = _get(toy_cls, toy_ckpt, tmp_path)
    assert forward_calls == [] and torch.equal(first.features, second.features)


def test_corrupt_or_partial_cache_is_rebuilt(toy_cls, toy_ckpt, tmp_path, forward_calls):
    first = _get(toy_cls, toy_ckpt, tmp_path)
    (path,) = list(tmp_path.rglob('*.safetensors'))
    data = bytearray(path.read_bytes())
    data[-8:] = bytes(b ^ 0xFF for b in data[-8:])  # flip the last feature bytes
    path.write_bytes(bytes(data))
    forward_calls.clear()
    rebuilt = _get(toy_cls, toy_ckpt, tmp_path)
    assert sum(forward_calls) == 50 and torch.equal(first.features, rebuilt.features)
    # no marker = an interrupted write: rebuilt too
    path.with_suffix('.json').unlink()
    forward_calls.clear()
    _get(toy_cls, toy_ckpt, tmp_path)
    assert sum(forward_calls) == 50
    assert json.loads(path.with_suffix('.json').read_text())['num_samples'] == 50


def test_cache_key_separates_split_transform_and_checkpoint(toy_cls, toy_ckpt, toy_checkpoints, tmp_path):
    _get(toy_cls, toy_ckpt, tmp_path, 'train')
    _get(toy_cls, toy_ckpt, tmp_path, 'val')
    _get(toy_cls, toy_ckpt, tmp_path, 'train', ExtractionSpec(resize=36, crop=32))
    assert len(list(tmp_path.rglob('*.safetensors'))) == 3
    base = dict(checkpoint_sha256='a', split='train', transform={'crop': 32})
    assert FeatureCache.key(base) != FeatureCache.key({**base, 'checkpoint_sha256': 'b'})


def test_multilabel_and_in_memory_datasets(toy_cls, toy_ckpt, tmp_path):
    voc = _get(toy_cls, toy_ckpt, tmp_path, 'test', dataset='voc2007')
    assert voc.labels.shape == (20, 20) and voc.labels.dtype == torch.uint8
    cifar = _get(toy_cls, toy_ckpt, tmp_path, 'test', dataset='cifar10')
    assert cifar.features.shape == (20, 256)


def test_cache_key_separates_the_held_out_val_draw(toy_cls, toy_ckpt, tmp_path):
    """train/val of a dataset without an official val depend on how val is drawn (the paper's shuffle by default
    since issue 11, or stratified): features cached under one draw are never served for the other."""
    paper = _get(toy_cls, toy_ckpt, tmp_path, 'val', dataset='cifar10')
    stratified = cached_features(tmp_path, toy_ckpt, 'cifar10', 'val', data_root=str(toy_cls / 'cifar10'),
                                 method='mocov2', base_channels=8, spec=SPEC, batch_size=16, num_workers=0,
                                 device='cpu', progress=False, dataset_kwargs={'val_split': 'stratified'})
    assert len(list(tmp_path.rglob('*.safetensors'))) == 2
    assert not torch.equal(paper.labels, stratified.labels) or not torch.equal(paper.features, stratified.features)
    keys = [json.loads(p.read_text()) for p in tmp_path.rglob('*.json')]
    assert sorted(k['key']['val_split'] for k in keys) == ['paper', 'stratified']


def test_named_transforms_are_selectable_and_cached_apart(toy_cls, toy_ckpt, tmp_path, forward_calls):
    paper = ExtractionSpec.from_transform('paper_fewshot')
    assert (paper.resize, paper.crop, paper.interpolation, paper.squash, paper.stage) == (257, 224, 'bilinear',
                                                                                          True, 4)
    assert ExtractionSpec.from_transform('linear_eval') == ExtractionSpec()
    linear = _get(toy_cls, toy_ckpt, tmp_path, 'test')
    fewshot = _get(toy_cls, toy_ckpt, tmp_path, 'test', paper)
    assert len(list(tmp_path.rglob('*.safetensors'))) == 2 and sum(forward_calls) == 2 * len(linear)
    assert fewshot.features.shape == linear.features.shape and not torch.equal(fewshot.features, linear.features)
