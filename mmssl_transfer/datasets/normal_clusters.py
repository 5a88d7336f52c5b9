"""K-means cluster centres of surface normals: the classes of the paper's normals head.

Wang et al. (CVPR 2015) and the paper's code quantise each ground-truth normal to the nearest of K = 40
k-means centres of the training normals (``vocab40.mat``) and train a classifier; a prediction is the
probability-weighted sum of the centres, renormalised. The centres live beside the data in
``normal_clusters_k<K>.npy`` (a (K, 3) float array of unit vectors; format in
:mod:`mmssl_transfer.normal_cluster_file`).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import numpy as np

from mmssl_transfer.normal_cluster_file import (NormalClustersError, cluster_file_name, load_normal_clusters,
                                                save_normal_clusters)

__all__ = ['NormalClustersError', 'cluster_file_name', 'load_normal_clusters', 'save_normal_clusters',
           'kmeans_normal_clusters', 'sample_valid_normals', 'compute_normal_clusters', 'assign_clusters']


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
