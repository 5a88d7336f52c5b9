"""NYUv2 normals train at one scale per batch, as the paper's code: ssl-transfer
``surface-normal-estimation/dataset_generic.py`` L208-211 draws one short side per batch
(``np.random.choice(self.imgSize)``) and L216-221 resizes each image of the batch to
``min(short / min(h, w), imgMaxSize / max(h, w))`` times its size (truncated to int32)."""
import itertools

import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmseg.registry import TRANSFORMS

from mmssl_transfer.apis.variants import load_with_variants
from mmssl_transfer.datasets.samplers import NumberedDraw, NumberedDrawSampler
from mmssl_transfer.project_files import configs_dir

PAPER_SHORT_SIDES = (300, 375, 450, 525, 600)  # train_generic.py --imgSize, --imgMaxSize 1000


def _paper_size(height: int, width: int, short: int, max_size: int = 1000) -> tuple[int, int]:
    """dataset_generic.py L216-221 (the size of one image of the batch; int32 truncation)."""
    scale = min(short / min(height, width), max_size / max(height, width))
    return int(height * scale), int(width * scale)


def _draws(world: int, rank: int, n: int, size: int = 9, seed: int = 3) -> list:
    sampler = NumberedDrawSampler.__new__(NumberedDrawSampler)
    sampler.dataset, sampler.size, sampler.shuffle, sampler.seed = list(range(size)), size, True, seed
    sampler.rank, sampler.world_size = rank, world
    return list(itertools.islice(sampler._indices_of_rank(), n))


def _resize(draws_per_batch: int = 2):
    DefaultScope.get_instance('test_batch_scale', scope_name='mmseg')
    import mmssl_transfer.datasets  # noqa: F401  (registers the transforms)
    return TRANSFORMS.build(dict(type='BatchRandomChoiceResize', scales=[(1000, s) for s in PAPER_SHORT_SIDES],
                                 draws_per_batch=draws_per_batch, resize_type='NormalResize', keep_ratio=True,
                                 backend='pillow'))


def _shape_after(resize, index) -> tuple[int, int]:
    image = np.zeros((480, 640, 3), np.uint8)  # NYUv2: every image is 480 x 640
    results = dict(img=image, img_shape=(480, 640), ori_shape=(480, 640), sample_idx=index,
                   gt_normals=np.zeros((480, 640, 3), np.float32), seg_fields=[])
    return resize(results)['img'].shape[:2]


@pytest.mark.parametrize('total', [2, 4])
def test_the_images_of_one_optimizer_step_share_one_paper_scale_on_1_or_2_processes(total):
    resize = _resize(total)
    n = 40
    single = {d.draw: _shape_after(resize, d) for d in _draws(1, 0, n)}
    paper_sizes = {_paper_size(480, 640, s) for s in PAPER_SHORT_SIDES}
    assert set(single.values()) <= paper_sizes and len(set(single.values())) > 2  # the paper's sizes, several
    for step in range(n // total):
        assert len({single[d] for d in range(step * total, (step + 1) * total)}) == 1  # one scale per batch
    two = {d.draw: _shape_after(resize, d) for r in (0, 1) for d in _draws(2, r, n // 2)}
    assert two == single  # process 0 and 1 each hold half of every batch: the same scale


def test_without_a_numbered_draw_the_scale_is_drawn_per_image():
    resize = _resize()
    np.random.seed(0)
    shapes = {_shape_after(resize, 0) for _ in range(30)}
    assert len(shapes) > 2


def test_normals_configs_draw_one_scale_per_total_batch_and_per_image_is_a_variant():
    path = configs_dir() / 'normals' / 'byol_pspnet_nyuv2.py'
    for variants in ([], ['batch4'], ['flip-aug', 'batch4'], ['batch4', 'flip-aug']):
        cfg = load_with_variants(path, variants)
        step = next(s for s in cfg.train_dataloader.dataset.pipeline if 'Resize' in s.type)
        assert step.type == 'BatchRandomChoiceResize'
        assert step.draws_per_batch == cfg.transfer_task.total_batch_size
    per_image = load_with_variants(path, ['per-image-scale'])
    step = next(s for s in per_image.train_dataloader.dataset.pipeline if 'Resize' in s.type)
    assert step.type == 'RandomChoiceResize' and 'draws_per_batch' not in step
    assert step.scales == [(1000, s) for s in PAPER_SHORT_SIDES] and step.resize_type == 'NormalResize'
    assert per_image.transfer_task.variant == 'per-image-scale'
    with pytest.raises(ValueError, match='draws_per_batch'):
        from mmssl_transfer.datasets.transforms import BatchRandomChoiceResize
        BatchRandomChoiceResize([(1000, 300)], draws_per_batch=0)


def test_a_numbered_draw_is_the_index_the_resize_reads():
    resize = _resize()
    assert _shape_after(resize, NumberedDraw(5, draw=6, seed=3)) == _shape_after(resize, NumberedDraw(0, 7, 3))


def test_depth_follows_the_normals_one_scale_per_total_batch():
    """The depth row is trained like the normals: its resolved config draws one training scale per total batch,
    the normals' scales, with the depth resize; the toy variant keeps the per-batch draw at its own scales."""
    normals = load_with_variants(configs_dir() / 'normals' / 'byol_pspnet_nyuv2.py', [])
    for variants in ([], ['method-input']):
        cfg = load_with_variants(configs_dir() / 'depth' / 'byol_pspnet_nyuv2_depth.py', variants)
        step = next(s for s in cfg.train_dataloader.dataset.pipeline if 'Resize' in s.type)
        normal_step = next(s for s in normals.train_dataloader.dataset.pipeline if 'Resize' in s.type)
        assert step.type == normal_step.type == 'BatchRandomChoiceResize' and step.resize_type == 'DepthResize'
        assert step.draws_per_batch == cfg.transfer_task.total_batch_size == cfg.train_dataloader.batch_size == 2
        assert step.scales == normal_step.scales == [(1000, s) for s in PAPER_SHORT_SIDES]
    toy = load_with_variants(configs_dir() / 'depth' / 'byol_pspnet_nyuv2_depth.py', ['toy'])
    step = next(s for s in toy.train_dataloader.dataset.pipeline if 'Resize' in s.type)
    assert step.type == 'BatchRandomChoiceResize' and step.draws_per_batch == toy.transfer_task.total_batch_size


def test_the_depth_resize_draws_one_scale_per_batch_for_depth_maps_too():
    DefaultScope.get_instance('test_batch_scale_depth', scope_name='mmseg')
    import mmssl_transfer.datasets  # noqa: F401  (registers the transforms)
    resize = TRANSFORMS.build(dict(type='BatchRandomChoiceResize', scales=[(1000, s) for s in PAPER_SHORT_SIDES],
                                   draws_per_batch=2, resize_type='DepthResize', keep_ratio=True, backend='pillow'))
    shapes = []
    for draw in _draws(1, 0, 12):
        results = dict(img=np.zeros((480, 640, 3), np.uint8), img_shape=(480, 640), ori_shape=(480, 640),
                       sample_idx=draw, gt_depth_map=np.ones((480, 640), np.float32), seg_fields=['gt_depth_map'])
        out = resize(results)
        assert out['gt_depth_map'].shape == out['img'].shape[:2]  # the depth map follows the image
        shapes.append(out['img'].shape[:2])
    assert all(shapes[i] == shapes[i + 1] for i in range(0, 12, 2))  # one size per batch of 2
    assert {_paper_size(480, 640, s) for s in PAPER_SHORT_SIDES} >= set(shapes) and len(set(shapes)) > 1
