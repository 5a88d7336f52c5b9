"""Episode sampling statistics and the vectorised prototypical classifier."""
import pytest
import torch

from mmssl_transfer.probes.fewshot import (FewShotSkip, episode_accuracies, loop_episode_accuracies, run_fewshot,
                                           sample_episodes)


@pytest.fixture(scope='module')
def toy():
    gen = torch.Generator().manual_seed(0)
    # class sizes 25..44: every class has >= 20 images (5-shot + 15 queries), only some >= 35 (20-shot)
    labels = torch.cat([torch.full((25 + c,), c) for c in range(20)])
    features = torch.randn(20, 32, generator=gen)[labels] + 1.5 * torch.randn(len(labels), 32, generator=gen)
    return features, labels


def test_episode_classes_distinct_and_support_query_disjoint(toy):
    _, labels = toy
    ep = sample_episodes(labels, n_way=5, n_shot=5, n_query=15, n_episodes=200, seed=0)
    assert ep.indices.shape == (200, 5, 20) and ep.classes.shape == (200, 5)
    assert all(len(set(c.tolist())) == 5 for c in ep.classes)
    assert (labels[ep.indices] == ep.classes[:, :, None]).all()  # every image belongs to its way
    for row in ep.indices:
        support, query = set(row[:, :5].flatten().tolist()), set(row[:, 5:].flatten().tolist())
        assert len(support) == 25 and len(query) == 75 and not support & query


def test_episodes_are_seeded_and_cover_the_classes(toy):
    _, labels = toy
    a = sample_episodes(labels, 5, 5, 15, 300, seed=3)
    b = sample_episodes(labels, 5, 5, 15, 300, seed=3)
    c = sample_episodes(labels, 5, 5, 15, 300, seed=4)
    assert torch.equal(a.indices, b.indices) and not torch.equal(a.indices, c.indices)
    counts = torch.bincount(a.classes.flatten(), minlength=20).float()
    assert counts.min() > 0.5 * counts.mean()  # uniform over classes, roughly


def test_only_classes_with_enough_images_are_drawn(toy):
    _, labels = toy
    ep = sample_episodes(labels, 5, 20, 15, 100, seed=0)  # needs 35 images: classes 10..19
    assert ep.classes.min() >= 10
    with pytest.raises(FewShotSkip, match='only 0 qualify'):
        sample_episodes(labels, 5, 50, 15, 10, seed=0)


def test_vectorised_accuracies_equal_the_per_episode_loop(toy):
    features, labels = toy
    ep = sample_episodes(labels, 5, 5, 15, 100, seed=1)
    assert torch.allclose(episode_accuracies(features, ep, chunk_elems=5000), loop_episode_accuracies(features, ep))


def test_run_fewshot_reports_mean_and_ci(toy):
    features, labels = toy
    out = run_fewshot(features, labels, n_shot=5, n_episodes=100, seed=0)
    assert 20 < out['accuracy'] <= 100 and 0 < out['ci95'] < 10
    assert out['eligible_classes'] == 20


def test_classes_too_small_for_k_plus_q_make_the_run_a_variant(toy, monkeypatch, tmp_path):
    """The paper's loader takes K + Q images of every class of the pool (datasets/few_shot_dataset.py L99-108:
    one batch of n_support + n_query per class, stacked by the episode loader), so a pool where some class has
    fewer is outside its protocol: ours draws from the classes that have enough and says so."""
    from mmssl_transfer.probes import experiments
    from mmssl_transfer.probes.features import FeatureSet
    features, labels = toy
    monkeypatch.setattr(experiments, '_features', lambda split, **kw: FeatureSet(features, labels) if split == 'test'
                        else FeatureSet(features[:0], labels[:0]))
    results, skipped = experiments.fewshot_results(None, 'dtd', str(tmp_path), shots=(5, 20), device='cpu')
    five, twenty = results
    assert not skipped and (five.paper_protocol, five.hparams['variant']) == (True, 'paper')
    assert twenty.paper_protocol is False and twenty.hparams['variant'] == 'eligible_classes=10/20'
    assert (twenty.extra['eligible_classes'], twenty.extra['pool_classes']) == (10, 20)
