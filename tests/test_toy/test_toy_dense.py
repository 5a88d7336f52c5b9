"""Toy ADE20K and NYUv2-normals trees: real layouts, valid labels and normals, reproducible from the seed."""
import numpy as np
from PIL import Image

from mmssl_transfer.datasets.normal_io import check_normal_map, load_normal_map, load_normal_mask
from mmssl_transfer.toy import make_toy


def test_toy_ade20k_has_the_challenge_layout_with_labels_0_to_150(tmp_path):
    root = make_toy('ade20k', tmp_path, seed=0, num_train=3, num_val=2)
    assert root.name == 'ADEChallengeData2016'
    for split, prefix, count in (('training', 'ADE_train', 3), ('validation', 'ADE_val', 2)):
        images = sorted((root / 'images' / split).glob('*.jpg'))
        assert [p.name for p in images] == [f'{prefix}_{i:08d}.jpg' for i in range(1, count + 1)]
        for image in images:
            label = np.asarray(Image.open(root / 'annotations' / split / (image.stem + '.png')))
            assert label.dtype == np.uint8 and label.shape == Image.open(image).size[::-1]
            assert label.max() <= 150 and (label == 0).any() and (label > 0).any()


def test_toy_nyuv2_renders_unit_normals_of_known_planes_with_masks_and_centres(tmp_path):
    root = make_toy('nyuv2', tmp_path, seed=0, num_train=2, num_test=1, image_size=(24, 32), num_clusters=8)
    assert sorted(p.name for p in (root / 'images' / 'train').iterdir()) == ['000001.png', '000002.png']
    assert (root / 'images' / 'test' / '000003.png').is_file()
    normals = load_normal_map(root / 'normals' / 'train' / '000001.png')
    valid = load_normal_mask(root / 'masks' / 'train' / '000001.png')
    check_normal_map(normals, valid, 'toy')
    assert not valid[0].any() and valid.mean() > 0.5
    np.testing.assert_allclose(np.linalg.norm(normals[valid], axis=1), 1.0, atol=1e-3)
    directions = normals[valid] / np.linalg.norm(normals[valid], axis=1, keepdims=True)
    dominant = np.array([[0, 0, 1], [0, 1, 0], [0, -1, 0], [1, 0, 0], [-1, 0, 0]], float)
    assert np.all(np.max(directions @ dominant.T, axis=1) > np.cos(np.radians(15)))  # planes + a few degrees
    assert np.load(root / 'normal_clusters_k8.npy').shape == (8, 3)


def test_toy_trees_are_reproducible_from_the_seed(tmp_path):
    a = make_toy('nyuv2', tmp_path / 'a', seed=3, num_train=1, num_test=1, image_size=(24, 32), num_clusters=4)
    b = make_toy('nyuv2', tmp_path / 'b', seed=3, num_train=1, num_test=1, image_size=(24, 32), num_clusters=4)
    assert (a / 'normals/train/000001.png').read_bytes() == (b / 'normals/train/000001.png').read_bytes()
    c = make_toy('ade20k', tmp_path / 'c', seed=3, num_train=1, num_val=1)
    d = make_toy('ade20k', tmp_path / 'd', seed=3, num_train=1, num_val=1)
    label = 'annotations/training/ADE_train_00000001.png'
    assert (c / label).read_bytes() == (d / label).read_bytes()
