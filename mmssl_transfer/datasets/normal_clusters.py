"""K-means cluster centres of surface normals: the classes of the paper's normals head.

Wang et al. (CVPR 2015) and the paper's code quantise each ground-truth normal to the nearest of K = 40
k-means centres of the training normals (``vocab40.mat``) and train a classifier; a prediction is the
probability-weighted sum of the centres, renormalised. The centres live beside the data in
``normal_clusters_k<K>.npy`` (a (K, 3) float array of unit vectors).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import numpy as np
from mmssl_transfer.errors import InputError


class NormalClustersError(InputError):
    """A cluster-centre file is missing or malformed."""


def cluster_file_name(k: int) -> str:
    """File name of the centres for ``k`` clusters, e.g. ``normal_clusters_k40.npy``."""
    return f'normal_clusters_k{k}.npy'


def load_normal_clusters(path: str | os.PathLike) -> np.ndarray:
    """Read (K, 3) unit cluster centres; any problem is an error naming the file."""
    path = Path(path)
    if not path.is_file():
        raise NormalClustersError(f'{path}: cluster centre file not found (run tools/compute_normal_clusters.py)')
    try:
        centres = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise NormalClustersError(f'{path}: not a readable .npy file ({exc})') from None
    if centres.ndim != 2 or centres.shape[1] != 3 or centres.shape[0] < 2:
        raise NormalClustersError(f'{path}: cluster centres must have shape (K, 3) with K >= 2, found '
                                  f'{centres.shape}')
    norms = np.linalg.norm(centres, axis=1)
    if not np.all(np.isfinite(centres)) or np.any(norms < 1e-6):
        raise NormalClustersError(f'{path}: cluster centres hold NaN or zero vectors')
    return (centres / norms[:, None]).astype(np.float32)


def save_normal_clusters(path: str | os.PathLike, centres: np.ndarray) -> Path:
    """Write (K, 3) centres, renormalised to unit length, as float32 ``.npy``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    centres = np.asarray(centres, dtype=np.float64)
    np.save(path, (centres / np.linalg.norm(centres, axis=1, keepdims=True)).astype(np.float32))
    return path


def kmeans_normal_clusters(normals: np.ndarray, k: int = 40, seed: int = 0, n_init: int = 4) -> np.ndarray:
    """K-means (Euclidean, as Wang et al.) on an (N, 3) array of unit normals; returns unit (k, 3) centres."""
    from sklearn.cluster import KMeans

    normals = np.asarray(normals, dtype=np.float64).reshape(-1, 3)
    if normals.shape[0] < k:
        raise NormalClustersError(f'k-means with k={k} needs at least {k} normals, got {normals.shape[0]}')
    centres = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(normals).cluster_centers_
    return centres / np.linalg.norm(centres, axis=1, keepdims=True)


def sample_valid_normals(samples: Iterable[tuple[np.ndarray, np.ndarray]], per_image: int = 2000,
                         seed: int = 0) -> np.ndarray:
    """Draw up to ``per_image`` valid unit normals from each (normals (H, W, 3), valid (H, W)) pair."""
    rng = np.random.default_rng(seed)
    drawn = []
    for normals, valid in samples:
        inside = normals[valid].astype(np.float64)
        if inside.shape[0] > per_image:
            inside = inside[rng.choice(inside.shape[0], per_image, replace=False)]
        drawn.append(inside / np.linalg.norm(inside, axis=1, keepdims=True))
    if not drawn:
        raise NormalClustersError('no normal maps to cluster')
    return np.concatenate(drawn)


def compute_normal_clusters(data_root: str | os.PathLike, k: int = 40, per_image: int = 2000, seed: int = 0,
                            normal_suffix: str = '.png', out: str | os.PathLike | None = None) -> Path:
    """Cluster the valid train normals of an ``NYUv2NormalsDataset`` tree and save the centres beside it.

    Returns:
        The written file (``<data_root>/normal_clusters_k<k>.npy`` unless ``out`` is given).
    """
    from .normal_io import check_normal_map, load_normal_map, load_normal_mask

    root = Path(data_root)
    normal_dir, mask_dir = root / 'normals' / 'train', root / 'masks' / 'train'
    for folder in (normal_dir, mask_dir):
        if not folder.is_dir():
            raise FileNotFoundError(f'{folder}: train folder not found; expected the NYUv2NormalsDataset layout')
    files = sorted(normal_dir.glob(f'*{normal_suffix}'))
    if not files:
        raise FileNotFoundError(f'{normal_dir}: no *{normal_suffix} normal maps')

    def pairs():
        for file in files:
            normals = load_normal_map(file)
            valid = load_normal_mask(mask_dir / (file.stem + '.png'))
            check_normal_map(normals, valid, file)
            yield normals, valid

    centres = kmeans_normal_clusters(sample_valid_normals(pairs(), per_image, seed), k=k, seed=seed)
    return save_normal_clusters(out or root / cluster_file_name(k), centres)


def assign_clusters(normals: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for each (..., 3) normal (max cosine = min distance for unit vectors)."""
    return np.argmax(np.asarray(normals) @ np.asarray(centres).T, axis=-1)
