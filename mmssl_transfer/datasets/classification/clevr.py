"""CLEVR count: Kotar et al.'s (ICCV 2021, ViRB) image-level structural task, the number of objects in a CLEVR scene.

The data are CLEVR v1.0 as torchvision's ``CLEVRClassification`` reads it: ``images/<split>/*.png`` and
``scenes/CLEVR_<split>_scenes.json``; an image's label is the number of objects of its scene (3..10 in CLEVR, so
8 classes, label = count - 3). Images are listed in sorted file-name order, as torchvision lists them. CLEVR's
test scenes are not public: its val serves as the test split (as ViRB does) and val is held out of its train.
"""
from __future__ import annotations

import json
import os
from typing import Any

from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from .layout import ProtocolSplitMixin

#: The object counts of CLEVR scenes: the classes, in label order.
CLEVR_COUNTS: tuple[int, ...] = tuple(range(3, 11))


@DATASETS.register_module()
class CLEVRCount(ProtocolSplitMixin, BaseDataset):
    """CLEVR v1.0, labelled by the number of objects of each scene (8 classes: 3..10 objects).

    Splits: ``trainval`` is CLEVR's train (70,000), ``test`` its val (15,000); ``train`` / ``val`` the paper's
    seeded 80/20 split of CLEVR's train.
    """

    LAYOUT = """\
clevr   (the zip unpacks to CLEVR_v1.0/, torchvision's download to clevr/CLEVR_v1.0/: both accepted)
├── images
│   ├── train/CLEVR_train_000000.png ...   (70,000)
│   └── val/CLEVR_val_000000.png ...       (15,000; the test split)
└── scenes
    ├── CLEVR_train_scenes.json   ({"scenes": [{"image_filename": ..., "objects": [...]}, ...]})
    └── CLEVR_val_scenes.json
"""
    REQUIRED = ('images/{split}', 'scenes/CLEVR_{split}_scenes.json')
    OFFICIAL_SPLITS = {'trainval': 'train', 'test': 'val'}
    METAINFO = {'classes': tuple(str(n) for n in CLEVR_COUNTS)}

    def __init__(self, data_root: str, split: str = 'train', **kwargs: Any) -> None:
        protocol = {k: kwargs.pop(k) for k in ('val_fraction', 'split_seed', 'labels_per_class', 'label_fraction',
                                               'subset_seed', 'val_split') if k in kwargs}
        self.release_split, root = self._init_protocol(data_root, split, **protocol)
        super(ProtocolSplitMixin, self).__init__(
            ann_file=f'scenes/CLEVR_{self.release_split}_scenes.json', data_root=str(root),
            data_prefix=f'images/{self.release_split}', test_mode=split == 'test', **kwargs)

    def read_annotations(self) -> list[dict]:
        """One sample per scene of the scenes json, sorted by image file name; label = object count - 3."""
        try:
            with open(self.ann_file) as f:
                scenes = json.load(f)['scenes']
        except json.JSONDecodeError as exc:
            raise self.layout_error(self.ann_file, f'not a JSON file ({exc})') from None
        data_list = []
        for scene in sorted(scenes, key=lambda s: s['image_filename']):
            count = len(scene['objects'])
            if count not in CLEVR_COUNTS:
                raise self.layout_error(self.ann_file, f'{scene["image_filename"]}: {count} objects, CLEVR scenes '
                                                       f'have {CLEVR_COUNTS[0]}..{CLEVR_COUNTS[-1]}')
            data_list.append(dict(img_path=os.path.join(self.img_prefix, scene['image_filename']),
                                  gt_label=count - CLEVR_COUNTS[0]))
        return data_list
