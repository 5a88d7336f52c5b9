"""A toy NYUv2-normals tree (``NYUv2NormalsDataset`` layout): rooms of planes and boxes with known normals.

::

    out_dir/nyuv2_normals/
        images/{train,test}/000001.png ...    RGB shading of the normals plus noise
        normals/{train,test}/000001.png ...   16-bit x, y, z (see mmssl_transfer.datasets.normal_io)
        masks/{train,test}/000001.png ...     255 = valid; a border and a random hole are invalid
        depths/{train,test}/000001.png ...    16-bit millimetres (as the NYUv2 preparation writes them), 0 where
                                              the mask is invalid
        normal_clusters_k40.npy               k-means centres of the train normals

Normals use x to the right, y up, z towards the camera: back wall (0, 0, 1), floor (0, 1, 0), ceiling
(0, -1, 0), left wall (1, 0, 0), right wall (-1, 0, 0); each box shows a front (0, 0, 1) and a top (0, 1, 0)
face. Every normal is tilted by a few degrees of noise. Invalid pixels hold zeros, as missing depth does. Depth
is the room's geometry: the back wall at 3-5 m, the side planes at ``back / r`` (``r``: the pixel's distance from
the centre in units of the back wall's half size, a box room seen from its axis), box faces nearer than the wall.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..datasets.normal_clusters import compute_normal_clusters
from ..datasets.normal_io import save_normal_map, save_normal_mask
from ..datasets.nyuv2_release import save_depth_map

FLOOR, CEILING, BACK = (0.0, 1.0, 0.0), (0.0, -1.0, 0.0), (0.0, 0.0, 1.0)
LEFT_WALL, RIGHT_WALL = (1.0, 0.0, 0.0), (-1.0, 0.0, 0.0)


def render_room(height: int, width: int, rng: np.random.Generator,
                noise_deg: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, 3) unit normals and (H, W) depth (metres) of a box-shaped room seen from inside, with one or two
    boxes on the floor."""
    normals = np.zeros((height, width, 3))
    cy, cx = height * rng.uniform(0.4, 0.6), width * rng.uniform(0.4, 0.6)
    half_h, half_w = height * rng.uniform(0.15, 0.25), width * rng.uniform(0.15, 0.25)
    yy, xx = np.mgrid[0:height, 0:width]
    dy, dx = (yy - cy) / half_h, (xx - cx) / half_w
    normals[:] = BACK
    outside = (np.abs(dy) > 1) | (np.abs(dx) > 1)
    side = outside & (np.abs(dx) >= np.abs(dy))
    normals[side & (dx < 0)] = LEFT_WALL
    normals[side & (dx > 0)] = RIGHT_WALL
    normals[outside & ~side & (dy > 0)] = FLOOR
    normals[outside & ~side & (dy < 0)] = CEILING
    back = rng.uniform(3.0, 5.0)
    depth = back / np.maximum(np.maximum(np.abs(dx), np.abs(dy)), 1.0)
    for _ in range(rng.integers(1, 3)):
        box_w, box_h = int(width * rng.uniform(0.15, 0.3)), int(height * rng.uniform(0.15, 0.25))
        x0 = int(rng.integers(0, width - box_w))
        y1 = int(rng.integers(int(height * 0.8), height))
        top = max(box_h // 3, 2)
        normals[y1 - box_h:y1, x0:x0 + box_w] = BACK
        normals[y1 - box_h - top:y1 - box_h, x0:x0 + box_w] = FLOOR
        depth[y1 - box_h - top:y1, x0:x0 + box_w] = np.minimum(depth[y1 - box_h - top:y1, x0:x0 + box_w],
                                                               back * rng.uniform(0.4, 0.7))
    tilt = np.radians(noise_deg) * rng.normal(size=normals.shape)
    normals = normals + tilt
    return normals / np.linalg.norm(normals, axis=2, keepdims=True), depth


def make_toy_nyuv2(out_dir: Path,
                   seed: int = 0,
                   num_train: int = 4,
                   num_test: int = 2,
                   image_size: tuple[int, int] = (48, 64),
                   num_clusters: int = 40) -> Path:
    """Write a toy ``nyuv2_normals`` tree (normals and depth) under ``out_dir`` and return that folder.

    Args:
        out_dir: Folder to write into (created).
        seed: Seed of the random rooms.
        num_train: Train images.
        num_test: Test images.
        image_size: (height, width) of every image.
        num_clusters: K of the cluster-centre file written beside the data.
    """
    root = Path(out_dir) / 'nyuv2_normals'
    rng = np.random.default_rng(seed)
    height, width = image_size
    index = 0
    for split, count in (('train', num_train), ('test', num_test)):
        for _ in range(count):
            index += 1
            name = f'{index:06d}'
            normals, depth = render_room(height, width, rng)
            valid = np.ones((height, width), dtype=bool)
            valid[:2], valid[-2:], valid[:, :2], valid[:, -2:] = False, False, False, False
            hy, hx = int(rng.integers(2, height - 10)), int(rng.integers(2, width - 10))
            valid[hy:hy + 6, hx:hx + 8] = False
            normals[~valid] = 0.0
            shading = 40 + 90 * (normals + 1) + rng.normal(0, 6, size=normals.shape)
            image = np.clip(shading, 0, 255).astype(np.uint8)
            (root / 'images' / split).mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(root / 'images' / split / f'{name}.png')
            save_normal_map(root / 'normals' / split / f'{name}.png', normals)
            save_normal_mask(root / 'masks' / split / f'{name}.png', valid)
            save_depth_map(root / 'depths' / split / f'{name}.png', np.where(valid, depth, 0.0))
    compute_normal_clusters(root, k=num_clusters, per_image=4000, seed=seed)
    return root
