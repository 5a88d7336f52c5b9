"""A toy PASCAL VOC 2007+2012 tree in the real on-disk layout, for detection tests and the demo.

::

    out_dir/VOCdevkit/
        VOC2007/
            JPEGImages/000001.jpg ...
            Annotations/000001.xml ...        (VOC XML: size, objects with name, difficult, bndbox)
            ImageSets/Main/trainval.txt, test.txt
        VOC2012/
            JPEGImages/2012_000001.jpg ...
            Annotations/2012_000001.xml ...
            ImageSets/Main/trainval.txt

Each image holds one to three solid shapes on a noisy grey background; each shape class has its own colour
and form, so that a detector trained for a few dozen CPU iterations visibly lowers its loss. About one object
in six is flagged ``difficult`` (VOC ignores those in training targets and evaluation).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

#: VOC class name -> (RGB colour, shape drawn) of the toy objects.
TOY_VOC_SHAPES: dict[str, tuple[tuple[int, int, int], str]] = {
    'car': ((220, 40, 40), 'rectangle'),
    'dog': ((40, 180, 60), 'ellipse'),
    'person': ((40, 70, 220), 'rectangle'),
    'bottle': ((230, 200, 30), 'ellipse'),
}
DIFFICULT_FRACTION = 1 / 6


def make_toy_voc(out_dir: Path,
                 seed: int = 0,
                 num_train: int = 16,
                 num_test: int = 8,
                 image_size: tuple[int, int] = (96, 128)) -> Path:
    """Write a toy ``VOCdevkit`` under ``out_dir`` and return the ``VOCdevkit`` folder.

    Args:
        out_dir: Folder to write into (created).
        seed: Seed of the random shapes.
        num_train: trainval images in total, split between VOC2007 (first half, rounded up) and VOC2012.
        num_test: VOC2007 test images.
        image_size: (height, width) of every image.

    Returns:
        ``out_dir / 'VOCdevkit'``, the folder a config's ``data_root`` points at.
    """
    rng = np.random.default_rng(seed)
    root = Path(out_dir) / 'VOCdevkit'
    num_07 = (num_train + 1) // 2
    splits = {
        'VOC2007': {'trainval': [f'{i:06d}' for i in range(1, num_07 + 1)],
                    'test': [f'{i:06d}' for i in range(num_07 + 1, num_07 + num_test + 1)]},
        'VOC2012': {'trainval': [f'2012_{i:06d}' for i in range(1, num_train - num_07 + 1)]},
    }
    for year, lists in splits.items():
        year_dir = root / year
        for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
            (year_dir / sub).mkdir(parents=True, exist_ok=True)
        for split, ids in lists.items():
            (year_dir / 'ImageSets' / 'Main' / f'{split}.txt').write_text(''.join(f'{i}\n' for i in ids))
            for img_id in ids:
                image, objects = _draw_image(rng, image_size)
                image.save(year_dir / 'JPEGImages' / f'{img_id}.jpg', quality=95)
                _write_annotation(year_dir / 'Annotations' / f'{img_id}.xml', year, img_id, image_size, objects)
    return root


def _draw_image(rng: np.random.Generator, image_size: tuple[int, int]) -> tuple[Image.Image, list[dict]]:
    """One image with 1-3 non-overlapping shapes; boxes are 1-based inclusive VOC pixel coordinates."""
    height, width = image_size
    background = rng.normal(128, 12, size=(height, width, 3)).clip(0, 255).astype(np.uint8)
    image = Image.fromarray(background)
    draw = ImageDraw.Draw(image)
    names = list(TOY_VOC_SHAPES)
    objects: list[dict] = []
    for _ in range(int(rng.integers(1, 4))):
        for _attempt in range(20):
            box_w = int(rng.integers(max(8, width // 5), max(9, width // 2)))
            box_h = int(rng.integers(max(8, height // 5), max(9, height // 2)))
            x1 = int(rng.integers(0, width - box_w))
            y1 = int(rng.integers(0, height - box_h))
            box = (x1, y1, x1 + box_w - 1, y1 + box_h - 1)
            if all(_separate(box, o['box0']) for o in objects):
                break
        else:
            continue
        name = names[int(rng.integers(len(names)))]
        colour, shape = TOY_VOC_SHAPES[name]
        getattr(draw, shape)(box, fill=colour)
        objects.append(dict(name=name, box0=box, difficult=bool(rng.random() < DIFFICULT_FRACTION)))
    if objects and all(o['difficult'] for o in objects):
        objects[0]['difficult'] = False  # every image keeps one trainable object
    return image, objects


def _separate(a: tuple[int, ...], b: tuple[int, ...], gap: int = 2) -> bool:
    return a[2] + gap < b[0] or b[2] + gap < a[0] or a[3] + gap < b[1] or b[3] + gap < a[1]


def _write_annotation(path: Path, year: str, img_id: str, image_size: tuple[int, int],
                      objects: list[dict]) -> None:
    height, width = image_size
    root = ET.Element('annotation')
    ET.SubElement(root, 'folder').text = year
    ET.SubElement(root, 'filename').text = f'{img_id}.jpg'
    size = ET.SubElement(root, 'size')
    for tag, value in (('width', width), ('height', height), ('depth', 3)):
        ET.SubElement(size, tag).text = str(value)
    ET.SubElement(root, 'segmented').text = '0'
    for obj in objects:
        node = ET.SubElement(root, 'object')
        ET.SubElement(node, 'name').text = obj['name']
        ET.SubElement(node, 'pose').text = 'Unspecified'
        ET.SubElement(node, 'truncated').text = '0'
        ET.SubElement(node, 'difficult').text = str(int(obj['difficult']))
        bndbox = ET.SubElement(node, 'bndbox')
        # VOC boxes are 1-based and inclusive.
        for tag, value in zip(('xmin', 'ymin', 'xmax', 'ymax'), obj['box0']):
            ET.SubElement(bndbox, tag).text = str(value + 1)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding='utf-8')
