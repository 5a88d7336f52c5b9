"""Transforms keep normals correct: flips mirror the vectors, resizing keeps them unit, checks name files."""
import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmseg.registry import TRANSFORMS

import mmssl_transfer.datasets.transforms  # noqa: F401
from mmssl_transfer.datasets.transforms import CheckSegMapSize, NormalRandomFlip, NormalResize
from mmssl_transfer.errors import InputError


@pytest.fixture(autouse=True)
def mmseg_scope():
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


def known_results(height=6, width=8):
    """A normal map whose x grows left to right, so a flip is visible in both position and sign."""
    xs = np.linspace(-0.8, 0.8, width)
    normals = np.zeros((height, width, 3), np.float32)
    normals[..., 0] = xs[None, :]
    normals[..., 1] = np.linspace(-0.5, 0.5, height)[:, None]
    normals[..., 2] = 1.0
    normals /= np.linalg.norm(normals, axis=2, keepdims=True)
    seg = np.zeros((height, width), np.uint8)
    seg[:, 0] = 255
    img = np.arange(height * width * 3, dtype=np.uint8).reshape(height, width, 3)
    return dict(img=img, gt_normal_map=normals.copy(), gt_seg_map=seg, img_shape=(height, width),
                seg_fields=['gt_normal_map', 'gt_seg_map']), normals


def test_horizontal_flip_mirrors_pixels_and_negates_x():
    results, normals = known_results()
    out = NormalRandomFlip(prob=1.0, direction='horizontal')(results)
    expected = normals[:, ::-1].copy()
    expected[..., 0] *= -1
    np.testing.assert_array_equal(out['gt_normal_map'], expected)
    assert (out['gt_seg_map'][:, -1] == 255).all() and (out['gt_seg_map'][:, 0] == 0).all()
    assert out['flip'] and out['flip_direction'] == 'horizontal'


def test_vertical_flip_negates_y_only():
    results, normals = known_results()
    out = NormalRandomFlip(prob=1.0, direction='vertical')(results)
    expected = normals[::-1].copy()
    expected[..., 1] *= -1
    np.testing.assert_array_equal(out['gt_normal_map'], expected)


def test_flip_with_probability_zero_changes_nothing():
    results, normals = known_results()
    out = NormalRandomFlip(prob=0.0)(results)
    np.testing.assert_array_equal(out['gt_normal_map'], normals)


def test_resize_uses_nearest_so_normals_stay_unit_and_come_from_the_input():
    results, normals = known_results()
    out = NormalResize(scale=(13, 9), keep_ratio=False)(results)
    resized = out['gt_normal_map']
    assert resized.shape == (9, 13, 3) and out['gt_seg_map'].shape == (9, 13)
    np.testing.assert_allclose(np.linalg.norm(resized, axis=2), 1.0, atol=1e-6)
    inputs = {tuple(v) for v in normals.reshape(-1, 3)}
    assert all(tuple(v) in inputs for v in resized.reshape(-1, 3))


def test_random_choice_resize_can_drive_normal_resize_through_the_registry():
    results, _ = known_results()
    transform = TRANSFORMS.build(dict(type='RandomChoiceResize', scales=[(16, 12)], resize_type='NormalResize',
                                      keep_ratio=True))
    out = transform(results)
    assert out['gt_normal_map'].shape[:2] == out['img'].shape[:2] == out['gt_seg_map'].shape


def test_label_map_of_another_size_than_its_image_is_an_error_naming_both_files():
    results = dict(img=np.zeros((4, 5, 3), np.uint8), gt_seg_map=np.zeros((4, 6), np.uint8),
                   img_path='a/img.jpg', seg_map_path='a/label.png')
    with pytest.raises(InputError, match=r'a/label\.png.*a/img\.jpg'):
        CheckSegMapSize()(results)
