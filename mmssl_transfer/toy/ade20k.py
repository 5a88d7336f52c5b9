"""A toy ADE20K (SceneParsing ``ADEChallengeData2016``) tree in the real on-disk layout.

::

    out_dir/ADEChallengeData2016/
        images/training/ADE_train_00000001.jpg ...
        images/validation/ADE_val_00000001.jpg ...
        annotations/training/ADE_train_00000001.png ...     (8-bit labels: 0 = ignore/"other", 1..150 classes)
        annotations/validation/ADE_val_00000001.png ...

Each image is a background class with a few rectangles of other classes, every class painted in its own
colour plus noise, and a thin band of label 0 (ignored by mmseg's ``reduce_zero_label``). Numbers computed
on it mean nothing; it exercises the real loaders, pipelines and metric.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

NUM_CLASSES = 150
SPLITS = {'training': 'ADE_train', 'validation': 'ADE_val'}


def class_colours(num_classes: int = NUM_CLASSES, seed: int = 1234) -> np.ndarray:
    """A fixed RGB colour for label 0..num_classes."""
    return np.random.default_rng(seed).integers(0, 256, size=(num_classes + 1, 3), dtype=np.uint8)


def make_toy_ade20k(out_dir: Path,
                    seed: int = 0,
                    num_train: int = 4,
                    num_val: int = 2,
                    image_size: tuple[int, int] = (48, 64),
                    num_used_classes: int = 6) -> Path:
    """Write a toy ``ADEChallengeData2016`` under ``out_dir`` and return that folder.

    Args:
        out_dir: Folder to write into (created).
        seed: Seed of the random layouts.
        num_train: Training images.
        num_val: Validation images.
        image_size: (height, width) of every image.
        num_used_classes: The first N of the 150 classes appear (few, so a short run sees each often).
    """
    root = Path(out_dir) / 'ADEChallengeData2016'
    rng = np.random.default_rng(seed)
    colours = class_colours()
    height, width = image_size
    for split, count in (('training', num_train), ('validation', num_val)):
        (root / 'images' / split).mkdir(parents=True, exist_ok=True)
        (root / 'annotations' / split).mkdir(parents=True, exist_ok=True)
        for index in range(1, count + 1):
            label = np.full((height, width), rng.integers(1, num_used_classes + 1), dtype=np.uint8)
            for _ in range(rng.integers(1, 4)):
                y0, x0 = rng.integers(0, height - 8), rng.integers(0, width - 8)
                y1, x1 = y0 + rng.integers(6, height // 2), x0 + rng.integers(6, width // 2)
                label[y0:y1, x0:x1] = rng.integers(1, num_used_classes + 1)
            label[:, :2] = 0  # an ignored band, as ADE20K's unlabelled "other" pixels
            noise = rng.normal(0, 12, size=(height, width, 3))
            image = np.clip(colours[label].astype(np.float64) + noise, 0, 255).astype(np.uint8)
            name = f'{SPLITS[split]}_{index:08d}'
            Image.fromarray(image).save(root / 'images' / split / f'{name}.jpg', quality=95)
            Image.fromarray(label).save(root / 'annotations' / split / f'{name}.png')
    return root
