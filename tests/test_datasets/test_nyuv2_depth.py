"""NYUv2 depth: written by the normals preparation from nyu_depth_v2_labeled.mat, counted by --check, read by
NYUv2DepthDataset + mmseg's LoadDepthAnnotation in metres."""
import h5py
import numpy as np
import pytest

import mmssl_transfer.datasets.transforms  # noqa: F401  (registers the transforms)
from mmssl_transfer.datasets.nyuv2_depth import NYUv2DepthDataset
from mmssl_transfer.datasets.nyuv2_release import convert_release
from mmssl_transfer.datasets.preparation import check_dataset

from tests.test_datasets.test_nyuv2_release import fake_release

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
            dict(type='PackSegInputs')]


def fake_labeled_mat(path, count=5, height=6, width=8):
    """nyu_depth_v2_labeled.mat as MATLAB v7.3 writes it: HDF5 behind a 512-byte header, arrays stored
    transposed (images N x 3 x W x H uint8, depths N x W x H float32 metres)."""
    rng = np.random.default_rng(1)
    images = rng.integers(0, 255, (count, height, width, 3), dtype=np.uint8)
    depths = rng.uniform(0.5, 9.5, (count, height, width)).astype(np.float32)
    with h5py.File(path, 'w', userblock_size=512) as f:
        f['images'] = images.transpose(0, 3, 2, 1)
        f['depths'] = depths.transpose(0, 2, 1)
    with open(path, 'r+b') as f:
        f.write(b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan 1 00:00:00 2012 HDF5 schema 1.00 .')
    return images, depths


@pytest.fixture
def prepared(tmp_path):
    fake_release(tmp_path / 'meta', tmp_path / 'rgb')
    images, depths = fake_labeled_mat(tmp_path / 'nyu_depth_v2_labeled.mat')
    notes = []
    out = convert_release(tmp_path / 'meta', tmp_path / 'nyu_depth_v2_labeled.mat', tmp_path / 'nyu',
                          log=notes.append)
    return out, images, depths, notes


def test_one_preparation_writes_images_normals_and_millimetre_depths(prepared):
    import cv2
    out, images, depths, notes = prepared
    assert notes[:2] == ['train: 3 images with depth', 'test: 2 images with depth']
    assert sorted(p.name for p in (out / 'depths' / 'test').iterdir()) == ['000002.png', '000005.png']
    written = cv2.imread(str(out / 'depths' / 'train' / '000003.png'), cv2.IMREAD_UNCHANGED)
    assert written.dtype == np.uint16
    np.testing.assert_array_equal(written, np.round(depths[2] * 1000).astype(np.uint16))
    np.testing.assert_array_equal(cv2.imread(str(out / 'images' / 'train' / '000003.png'))[..., ::-1], images[2])


def test_check_counts_normals_and_depths_and_names_missing_depths(prepared, tmp_path):
    out = prepared[0]
    check = check_dataset('nyuv2', out, official=False)
    assert check.usable, check.problems
    assert check.counts == {'train': (3, 795), 'train depth': (3, None), 'test': (2, 654), 'test depth': (2, None)}
    assert 'train depth: 3 maps, the official copy has 795' in check.differences
    (out / 'depths' / 'test' / '000005.png').unlink()
    broken = check_dataset('nyuv2', out, official=False)
    assert not broken.usable and 'depths/test/000005.png' in broken.problems[0]
    folder_only = convert_release(tmp_path / 'meta', tmp_path / 'rgb', tmp_path / 'from_folder')
    check = check_dataset('nyuv2', folder_only, official=False)
    assert check.usable and any('no depth maps' in d for d in check.differences)


def test_dataset_reads_depth_in_metres(prepared):
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    out, _, depths, _ = prepared
    dataset = NYUv2DepthDataset(data_root=str(out), split='train', pipeline=PIPELINE)
    assert len(dataset) == 3 and dataset.get_data_info(1)['depth_map_path'].endswith('depths/train/000003.png')
    depth = dataset[1]['data_samples'].gt_depth_map.data.numpy()[0]
    np.testing.assert_allclose(depth, depths[2], atol=6e-4)


def test_a_tree_without_depths_is_an_error_naming_the_folder(tmp_path):
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    (tmp_path / 'images' / 'train').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='depths/train.*nyu_depth_v2_labeled.mat'):
        NYUv2DepthDataset(data_root=str(tmp_path), split='train', pipeline=PIPELINE)
