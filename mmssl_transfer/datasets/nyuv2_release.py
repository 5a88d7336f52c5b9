"""Convert the NYUv2 surface-normal release the paper's code used into the ``NYUv2NormalsDataset`` layout.

Source (``linusericsson/ssl-transfer/surface-normal-estimation``, taken from Goyal et al. 2019's
fair_self_supervision_benchmark): ``https://dl.fbaipublicfiles.com/fair_self_supervision_benchmark/
nyuv2_surfacenormal_metadata.zip``, which holds

- ``all_normals.pklz``: a gzip-compressed pickle ``{'all_normals': float32 (1449, 480, 640, 3),
  'all_valid_depth_masks': float32 (1449, 480, 640), 'all_filenames': ['000001', ...]}`` - the ground-truth
  normals of Ladicky et al. (ECCV 2014) for the 1449 labelled NYUv2 images;
- ``train_SN40.json`` / ``test_SN40.json`` (records whose ``img`` is ``'000003_rgb.jpg'``) or
  ``trainlist.txt`` / ``testlist.txt`` (one image number a line): the standard 795 / 654 split;
- ``vocab40.mat``: the 40 k-means normal clusters of Wang et al. (CVPR 2015) the paper classified into.

The RGB images come from NYU Depth v2's ``nyu_depth_v2_labeled.mat`` (needs ``h5py``) or from a folder of
``<number>_rgb.jpg`` / ``<number>.png`` files. The ``.mat`` also holds the labelled frames' depth maps
(``depths``: metres, the in-painted maps of the toolbox, as the Eigen et al. test split uses), written beside the
normals as ``depths/{train,test}/<number>.png`` (16-bit millimetres, as mmseg's NYU depth data and
``LoadDepthAnnotation(depth_rescale_factor=1e-3)`` read them), so one preparation gives both tasks. The pickle
is opened with a restricted unpickler that only builds numpy arrays and plain containers. Note: the pickle holds
all 1449 maps at once (~5.3 GB in memory).
"""
from __future__ import annotations

import collections
import gzip
import json
import os
import pickle
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
from PIL import Image

from mmssl_transfer.errors import InputError
from mmssl_transfer.fileio import NUMPY_ARRAYS, NUMPY_PROTOCOL5, restricted_load

from .normal_clusters import cluster_file_name, save_normal_clusters
from .normal_io import save_normal_map, save_normal_mask

RELEASE_URL = ('https://dl.fbaipublicfiles.com/fair_self_supervision_benchmark/'
               'nyuv2_surfacenormal_metadata.zip')
NORMALS_FILE = 'all_normals.pklz'
VOCAB_FILE = 'vocab40.mat'
SPLIT_FILES = {'train': ('train_SN40.json', 'trainlist.txt'), 'test': ('test_SN40.json', 'testlist.txt')}
RELEASE_KEYS = ('all_normals', 'all_valid_depth_masks', 'all_filenames')

#: What the restricted unpickler may build from ``all_normals.pklz``: numpy arrays, dtypes, scalars (any protocol)
#: and plain containers (see :mod:`mmssl_transfer.fileio`).
SAFE_GLOBALS = {
    **NUMPY_ARRAYS, **NUMPY_PROTOCOL5,
    ('collections', 'OrderedDict'): collections.OrderedDict,
    **{('builtins', kind.__name__): kind for kind in (list, dict, tuple, bytearray)},
}


class ReleaseError(InputError):
    """The NYUv2 normals release is incomplete or not what it should be."""


def load_release_normals(path: str | os.PathLike) -> dict[str, Any]:
    """Read ``all_normals.pklz`` safely and check its three entries agree."""
    path = Path(path)
    if not path.is_file():
        raise ReleaseError(f'{path}: not found (download {RELEASE_URL} and unzip it)')
    try:
        with gzip.open(path, 'rb') as f:
            data = restricted_load(f, SAFE_GLOBALS)
    except (OSError, EOFError, pickle.UnpicklingError) as exc:
        raise ReleaseError(f'{path}: not a readable normals pickle ({exc})') from None
    if not isinstance(data, dict) or any(k not in data for k in RELEASE_KEYS):
        found = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise ReleaseError(f'{path}: expected a dict with {list(RELEASE_KEYS)}, found {found}')
    normals, masks, names = (data[k] for k in RELEASE_KEYS)
    if normals.ndim != 4 or normals.shape[-1] != 3 or masks.shape != normals.shape[:3] or len(names) != len(normals):
        raise ReleaseError(f'{path}: inconsistent shapes: normals {normals.shape}, masks {masks.shape}, '
                           f'{len(names)} file names')
    return data


def read_split_ids(metadata_dir: str | os.PathLike, split: str) -> list[int]:
    """Image numbers (1-based, as in NYUv2) of ``split`` from the release's json or txt split file."""
    metadata_dir = Path(metadata_dir)
    json_name, txt_name = SPLIT_FILES[split]
    if (metadata_dir / json_name).is_file():
        records = json.loads((metadata_dir / json_name).read_text())
        return [int(str(r['img']).split('_')[0]) for r in records]
    if (metadata_dir / txt_name).is_file():
        return [int(line) for line in (metadata_dir / txt_name).read_text().split()]
    raise ReleaseError(f'{metadata_dir}: no {json_name} or {txt_name} split file')


def load_vocab_centres(path: str | os.PathLike) -> np.ndarray:
    """The (K, 3) cluster centres of ``vocab40.mat`` (``vocabs[0][0]['normals'][0][0]`` in MATLAB cells)."""
    import scipy.io

    path = Path(path)
    if not path.is_file():
        raise ReleaseError(f'{path}: not found')
    node: Any = scipy.io.loadmat(path)
    try:
        node = node['vocabs'][0][0]['normals']
        while isinstance(node, np.ndarray) and node.dtype == object:
            node = node.flat[0]
    except (KeyError, IndexError, ValueError) as exc:
        raise ReleaseError(f'{path}: no vocabs.normals entry ({exc})') from None
    centres = np.asarray(node, dtype=np.float64)
    if centres.ndim != 2 or centres.shape[1] != 3:
        raise ReleaseError(f'{path}: vocabs.normals should be K x 3, found {centres.shape}')
    return centres


def image_reader(images: str | os.PathLike) -> Callable[[int], np.ndarray]:
    """A function image number -> (H, W, 3) uint8 RGB, from a folder or ``nyu_depth_v2_labeled.mat``."""
    images = Path(images)
    if images.is_dir():
        def from_folder(number: int) -> np.ndarray:
            for name in (f'{number}_rgb.jpg', f'{number:06d}_rgb.jpg', f'{number:06d}.png', f'{number}.png',
                         f'{number:06d}.jpg', f'{number}.jpg'):
                if (images / name).is_file():
                    return np.asarray(Image.open(images / name).convert('RGB'))
            raise ReleaseError(f'{images}: no image for number {number} (tried {number}_rgb.jpg, '
                               f'{number:06d}.png, ...)')
        return from_folder
    if images.suffix == '.mat' and images.is_file():
        try:
            import h5py
        except ImportError:
            raise ReleaseError(f'{images}: reading nyu_depth_v2_labeled.mat needs h5py (pip install h5py)') from None
        handle = h5py.File(images, 'r')

        def from_mat(number: int) -> np.ndarray:
            # MATLAB v7.3 stores images as (N, 3, W, H).
            return np.ascontiguousarray(handle['images'][number - 1].transpose(2, 1, 0))
        return from_mat
    raise ReleaseError(f'{images}: expected a folder of RGB images or nyu_depth_v2_labeled.mat')


def depth_reader(images: str | os.PathLike) -> Callable[[int], np.ndarray] | None:
    """A function image number -> (H, W) float32 depth in metres from ``nyu_depth_v2_labeled.mat``; None for a
    folder of images (which holds no depth)."""
    images = Path(images)
    if images.suffix != '.mat' or not images.is_file():
        return None
    import h5py

    handle = h5py.File(images, 'r')
    if 'depths' not in handle:
        raise ReleaseError(f'{images}: no depths entry: not nyu_depth_v2_labeled.mat')

    def from_mat(number: int) -> np.ndarray:
        # MATLAB v7.3 stores depths as (N, W, H).
        return np.ascontiguousarray(handle['depths'][number - 1].T, dtype=np.float32)
    return from_mat


def save_depth_map(path: str | os.PathLike, depth: np.ndarray) -> None:
    """Write (H, W) metres as a 16-bit PNG of millimetres (0 = no depth)."""
    import cv2

    millimetres = np.clip(np.round(np.nan_to_num(depth, nan=0.0) * 1000.0), 0, 65535).astype(np.uint16)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), millimetres):
        raise OSError(f'{path}: cannot write the depth map')


def iter_split(data: dict[str, Any], ids: list[int], source: Path) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """(name, normals (H, W, 3), valid (H, W) bool) for each image number of a split."""
    index = {str(name): i for i, name in enumerate(data['all_filenames'])}
    for number in ids:
        name = f'{number:06d}'
        if name not in index:
            raise ReleaseError(f'{source}: image {name} of the split has no normals')
        i = index[name]
        yield name, np.asarray(data['all_normals'][i]), np.asarray(data['all_valid_depth_masks'][i]) > 0


def convert_release(metadata_dir: str | os.PathLike, images: str | os.PathLike, out_dir: str | os.PathLike,
                    normal_suffix: str = '.png', log: Callable[[str], None] | None = None) -> Path:
    """Write the ``NYUv2NormalsDataset`` tree (images, normals, masks, the paper's 40 centres) under ``out_dir``,
    plus the ``NYUv2DepthDataset`` depth maps when ``images`` is ``nyu_depth_v2_labeled.mat``.

    Returns:
        ``out_dir``.
    """
    metadata_dir, out_dir = Path(metadata_dir), Path(out_dir)
    if not metadata_dir.is_dir():
        raise ReleaseError(f'{metadata_dir}: release folder not found (unzip {RELEASE_URL})')
    data = load_release_normals(metadata_dir / NORMALS_FILE)
    read_image, read_depth = image_reader(images), depth_reader(images)
    for split in ('train', 'test'):
        ids = read_split_ids(metadata_dir, split)
        for name, normals, valid in iter_split(data, ids, metadata_dir / NORMALS_FILE):
            image = read_image(int(name))
            if image.shape[:2] != normals.shape[:2]:
                raise ReleaseError(f'{images}: image {name} is {image.shape[:2]}, its normals {normals.shape[:2]}')
            (out_dir / 'images' / split).mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(out_dir / 'images' / split / f'{name}.png')
            save_normal_map(out_dir / 'normals' / split / f'{name}{normal_suffix}', normals)
            save_normal_mask(out_dir / 'masks' / split / f'{name}.png', valid)
            if read_depth is not None:
                save_depth_map(out_dir / 'depths' / split / f'{name}.png', read_depth(int(name)))
        if log:
            log(f'{split}: {len(ids)} images' + (' with depth' if read_depth is not None else ''))
    if (metadata_dir / VOCAB_FILE).is_file():
        centres = load_vocab_centres(metadata_dir / VOCAB_FILE)
        save_normal_clusters(out_dir / cluster_file_name(len(centres)), centres)
        if log:
            log(f'cluster centres: {len(centres)} from {VOCAB_FILE}')
    if log and read_depth is None:
        log(f'no depth maps: {images} is a folder of images (the depth task needs nyu_depth_v2_labeled.mat)')
    return out_dir
