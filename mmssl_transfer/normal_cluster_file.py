"""The normal-cluster centres file, ``normal_clusters_k<K>.npy``: its name, reader and writer.

A (K, 3) float32 array of unit vectors, the classes of the paper's normals head (Wang et al., CVPR 2015). The
dataset finds it beside the data, the head loads it, the tools write it: the file format lives here, below
all of them; computing the centres from a dataset is :mod:`mmssl_transfer.datasets.normal_clusters`'s job.
"""
from __future__ import annotations

import os
from pathlib import Path

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
