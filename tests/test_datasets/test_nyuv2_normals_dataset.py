"""NYUv2NormalsDataset over the toy tree: listing, loading through the pipeline, clear errors on bad input."""
import shutil

import numpy as np
import pytest

import mmssl_transfer.datasets.transforms  # noqa: F401  (registers the transforms)
from mmssl_transfer.datasets.normal_io import NormalMapError, load_normal_map, save_normal_map
from mmssl_transfer.datasets.nyuv2_normals import NYUv2NormalsDataset
from mmssl_transfer.toy import make_toy

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadNormalAnnotation'), dict(type='PackNormalInputs')]


@pytest.fixture
def toy_root(tmp_path):
    return make_toy('nyuv2', tmp_path, seed=0, num_train=3, num_test=2, image_size=(24, 32), num_clusters=8)


def build(root, split='train', **kwargs):
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    return NYUv2NormalsDataset(data_root=str(root), split=split, pipeline=PIPELINE,
                               cluster_file='normal_clusters_k8.npy', **kwargs)


def test_lists_each_split_with_its_annotation_files_and_cluster_centres(toy_root):
    train, test = build(toy_root, 'train'), build(toy_root, 'test', test_mode=True)
    assert len(train) == 3 and len(test) == 2
    info = train.get_data_info(0)
    assert info['normal_path'].endswith('normals/train/000001.png')
    assert info['mask_path'].endswith('masks/train/000001.png')
    assert np.asarray(train.metainfo['normal_clusters']).shape == (8, 3)


def test_pipeline_yields_unit_normals_and_255_at_invalid_pixels(toy_root):
    sample = build(toy_root)[0]['data_samples']
    normals = sample.gt_normal_map.data.numpy()
    invalid = sample.gt_sem_seg.data.numpy()[0] == 255
    assert normals.shape == (3, 24, 32)
    assert invalid[0].all() and not invalid.all()
    np.testing.assert_allclose(np.linalg.norm(normals, axis=0)[~invalid], 1.0, atol=1e-5)
    assert np.all(normals[:, invalid] == 0)


def test_missing_folder_is_an_error_naming_it(toy_root):
    shutil.rmtree(toy_root / 'masks' / 'test')
    with pytest.raises(FileNotFoundError, match='masks/test'):
        build(toy_root, 'test')


def test_missing_normal_file_is_an_error_naming_it(toy_root):
    (toy_root / 'normals' / 'train' / '000002.png').unlink()
    with pytest.raises(FileNotFoundError, match='000002.png'):
        build(toy_root)


@pytest.mark.parametrize('bad_value, message', [(np.nan, 'NaN'), (0.0, 'zero')])
def test_bad_normals_inside_the_mask_are_an_error_naming_the_file(toy_root, bad_value, message):
    for path in (toy_root / 'normals' / 'train').glob('*.png'):
        normals = load_normal_map(path)
        path.unlink()
        if path.stem == '000001':
            normals[10, 10] = bad_value  # a valid pixel (the toy's invalid pixels are the border and one hole)
            normals[0, 0] = np.nan  # outside the mask: allowed
        save_normal_map(path.with_suffix('.npy'), normals)
    dataset = build(toy_root, normal_suffix='.npy')
    dataset[1]  # a clean map loads
    with pytest.raises(NormalMapError, match=rf'000001\.npy.*{message}'):
        dataset[0]


def test_normal_map_size_differing_from_its_image_is_an_error_naming_the_file(toy_root):
    path = toy_root / 'normals' / 'train' / '000001.png'
    save_normal_map(path, np.dstack([np.zeros((24, 30)), np.zeros((24, 30)), np.ones((24, 30))]))
    with pytest.raises(NormalMapError, match=r'000001\.png.*differs'):
        build(toy_root)[0]
