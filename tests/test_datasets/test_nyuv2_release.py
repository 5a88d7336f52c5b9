"""Conversion of the FAIR NYUv2-normals release (pklz + split + vocab40.mat) and the k-means cluster tool."""
import gzip
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from PIL import Image

from mmssl_transfer.datasets.normal_clusters import assign_clusters, compute_normal_clusters, load_normal_clusters
from mmssl_transfer.datasets.normal_io import load_normal_map, load_normal_mask
from mmssl_transfer.datasets.nyuv2_release import ReleaseError, convert_release, load_release_normals

REPO = Path(__file__).parents[2]


def fake_release(folder: Path, images: Path, height=6, width=8):
    """A 5-image release in the real formats: gzip pickle, json/txt splits, MATLAB vocab in nested cells."""
    rng = np.random.default_rng(0)
    normals = rng.normal(size=(5, height, width, 3)).astype(np.float32)
    normals /= np.linalg.norm(normals, axis=3, keepdims=True)
    masks = (rng.random((5, height, width)) > 0.3).astype(np.float32)
    normals[masks == 0] = np.nan  # the release may hold anything where depth is invalid
    folder.mkdir()
    with gzip.open(folder / 'all_normals.pklz', 'wb') as f:
        pickle.dump({'all_normals': normals, 'all_valid_depth_masks': masks,
                     'all_filenames': [f'{i:06d}' for i in range(1, 6)]}, f, protocol=pickle.HIGHEST_PROTOCOL)
    (folder / 'train_SN40.json').write_text(json.dumps([{'img': f'{i:06d}_rgb.jpg'} for i in (1, 3, 4)]))
    (folder / 'testlist.txt').write_text('2\n5\n')
    codebook = rng.normal(size=(40, 3))
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = codebook
    scipy.io.savemat(folder / 'vocab40.mat', {'vocabs': {'normals': cell}})
    images.mkdir()
    for i in range(1, 6):
        Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)).save(images / f'{i}_rgb.jpg')
    return normals, masks, codebook


def test_convert_release_writes_the_dataset_layout_and_the_papers_centres(tmp_path):
    normals, masks, codebook = fake_release(tmp_path / 'meta', tmp_path / 'rgb')
    out = convert_release(tmp_path / 'meta', tmp_path / 'rgb', tmp_path / 'nyu')
    assert sorted(p.name for p in (out / 'images' / 'train').iterdir()) == ['000001.png', '000003.png', '000004.png']
    assert sorted(p.name for p in (out / 'normals' / 'test').iterdir()) == ['000002.png', '000005.png']
    valid = load_normal_mask(out / 'masks' / 'train' / '000003.png')
    np.testing.assert_array_equal(valid, masks[2] > 0)
    written = load_normal_map(out / 'normals' / 'train' / '000003.png')
    np.testing.assert_allclose(written[valid], normals[2][valid], atol=1e-4)
    np.testing.assert_allclose(load_normal_clusters(out / 'normal_clusters_k40.npy'),
                               codebook / np.linalg.norm(codebook, axis=1, keepdims=True), atol=1e-6)


def test_release_pickle_that_builds_other_objects_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ('echo pwned',))

    with gzip.open(tmp_path / 'all_normals.pklz', 'wb') as f:
        pickle.dump({'all_normals': Evil()}, f)
    with pytest.raises(ReleaseError, match='refused global'):
        load_release_normals(tmp_path / 'all_normals.pklz')


def test_prepare_tool_exits_2_with_one_line_on_a_missing_release(tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / 'tools' / 'prepare_nyuv2_normals.py'),
                           str(tmp_path / 'nope'), str(tmp_path), str(tmp_path / 'out')],
                          capture_output=True, text=True, cwd=REPO, env={**os.environ, 'PYTHONPATH': str(REPO)})
    assert proc.returncode == 2
    assert proc.stderr.strip().count('\n') == 0 and 'nope' in proc.stderr
    assert proc.stderr.startswith(f'prepare_nyuv2_normals.py: error: {tmp_path / "nope"}: ')


def test_cluster_tool_exits_2_with_one_line_on_a_folder_without_train_normals(tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / 'tools' / 'compute_normal_clusters.py'), str(tmp_path)],
                          capture_output=True, text=True, cwd=REPO, env={**os.environ, 'PYTHONPATH': str(REPO)})
    assert proc.returncode == 2
    assert proc.stderr.strip().count('\n') == 0 and 'normals/train' in proc.stderr
    assert proc.stderr.startswith('compute_normal_clusters.py: error: ')


def test_compute_normal_clusters_finds_the_dominant_directions(tmp_path):
    from mmssl_transfer.toy import make_toy
    root = make_toy('nyuv2', tmp_path, seed=1, num_train=2, num_test=1, image_size=(24, 32), num_clusters=6)
    centres = compute_normal_clusters(root, k=6, out=tmp_path / 'c.npy')
    centres = np.load(centres)
    assert centres.shape == (6, 3)
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 1.0, atol=1e-5)
    # the back wall (0, 0, 1) is in every toy room, so some centre lies within a few degrees of it
    assert np.max(centres @ np.array([0, 0, 1.0])) > np.cos(np.radians(5))
    assert assign_clusters(centres, centres).tolist() == list(range(6))
