"""Random augmentation follows each sample's draw, not the process: 1 or 2 processes crop and flip alike."""
import itertools
import pickle

import numpy as np
import pytest
from mmengine.dataset import InfiniteSampler
from mmengine.registry import TRANSFORMS, DefaultScope

from mmssl_transfer.datasets.samplers import NumberedDraw, NumberedDrawSampler, SeedByDraw


def _draws(world: int, rank: int, n: int, size: int = 7, seed: int = 5) -> list:
    sampler = NumberedDrawSampler.__new__(NumberedDrawSampler)
    sampler.dataset, sampler.size, sampler.shuffle, sampler.seed = list(range(size)), size, True, seed
    sampler.rank, sampler.world_size = rank, world
    return list(itertools.islice(sampler._indices_of_rank(), n))


def test_the_sampler_yields_mmengines_indices_numbered_by_their_place_in_the_global_stream():
    single = _draws(1, 0, 20)
    assert single == list(itertools.islice(iter(InfiniteSampler(list(range(7)), seed=5)), 20))  # same indices
    assert [d.draw for d in single] == list(range(20)) and {d.seed for d in single} == {5}
    ranks = [_draws(2, r, 10) for r in (0, 1)]
    assert [d.draw for d in ranks[0]] == list(range(0, 20, 2)) and [d.draw for d in ranks[1]] == list(range(1, 20, 2))
    merged = sorted(ranks[0] + ranks[1], key=lambda d: d.draw)
    assert [(int(d), d.draw) for d in merged] == [(int(d), d.draw) for d in single]


def test_a_numbered_draw_indexes_like_an_int_and_survives_pickling_to_workers():
    draw = NumberedDraw(3, draw=11, seed=2)
    assert [10, 11, 12, 13][draw] == 13 and np.arange(5)[draw] == 3 and draw == 3
    copy = pickle.loads(pickle.dumps(draw))
    assert (int(copy), copy.draw, copy.seed) == (3, 11, 2) and isinstance(copy, NumberedDraw)


def _pipeline():
    DefaultScope.get_instance('test_numbered_draws', scope_name='mmpretrain')
    steps = [dict(type='SeedByDraw'), dict(type='RandomResizedCrop', scale=8, backend='pillow'),
             dict(type='RandomFlip', prob=0.5, direction='horizontal')]
    return [TRANSFORMS.build(step) for step in steps]


def _augment(index, image: np.ndarray) -> np.ndarray:
    results = dict(img=image.copy(), img_shape=image.shape[:2], ori_shape=image.shape[:2], sample_idx=index)
    for step in _pipeline():
        results = step(results)
    return results['img']


def test_the_same_draw_gets_the_same_crop_and_flip_whatever_the_process_stream():
    image = np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8)
    draw = NumberedDraw(0, draw=4, seed=0)
    np.random.seed(1)
    first = _augment(draw, image)
    np.random.seed(2)  # another process, another worker: another state of its generators
    assert np.array_equal(_augment(draw, image), first)
    others = [_augment(NumberedDraw(0, draw=d, seed=0), image) for d in range(5, 9)]
    assert not all(np.array_equal(first, other) for other in others)  # draws differ from each other
    assert not np.array_equal(_augment(NumberedDraw(0, draw=4, seed=1), image), first)  # and with the run's seed


def test_without_a_numbered_draw_the_pipeline_keeps_the_process_stream():
    assert SeedByDraw()(dict(sample_idx=3)) == dict(sample_idx=3)
    state = np.random.get_state()[1].copy()
    SeedByDraw()(dict(sample_idx=3))
    assert np.array_equal(np.random.get_state()[1], state)


@pytest.mark.parametrize('family, applies', [('cls', True), ('seg', True), ('normals', True), ('det', False)])
def test_apply_total_batch_numbers_the_draws_of_every_training_loader_but_detection(family, applies):
    from mmengine.config import Config

    from mmssl_transfer.engine.batch_split import apply_total_batch, seed_augmentation_by_draw
    from mmssl_transfer.project_files import project_root
    config = {'cls': 'configs/_base_/cls/finetune_dtd.py', 'seg': 'configs/seg/byol_upernet_ade20k.py',
              'normals': 'configs/normals/byol_pspnet_nyuv2.py', 'det': 'configs/det/byol_frozen_voc.py'}[family]
    cfg = Config.fromfile(str(project_root() / config))
    pipeline = list(cfg.train_dataloader.dataset.get('pipeline') or [])
    apply_total_batch(cfg, 2)
    loader = cfg.train_dataloader
    assert seed_augmentation_by_draw(loader) is applies  # again: nothing more is added
    if applies:
        assert loader.sampler.type == 'NumberedDrawSampler'
        assert [s['type'] for s in loader.dataset.pipeline] == ['SeedByDraw'] + [s['type'] for s in pipeline]
    else:  # VOC07+12 is a ConcatDataset, whose inner index drops the draw: its loaders keep their own streams
        assert loader.sampler.type == 'InfiniteSampler' and 'pipeline' not in loader.dataset
