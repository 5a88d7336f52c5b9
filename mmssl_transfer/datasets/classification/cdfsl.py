"""The four cross-domain few-shot (CD-FSL, Guo et al. 2020) datasets, in the layouts the CD-FSL code reads.

They have no splits: the few-shot protocol draws episodes from everything (``split='all'``).
CropDiseases and EuroSAT are image folders (mmpretrain's ``CustomDataset``: sorted class folders, as
torchvision's ``ImageFolder``); ISIC2018 and ChestX-ray14 come with CSV label files.
"""
from __future__ import annotations

import os
from typing import Any

import pandas as pd
from mmpretrain.datasets import BaseDataset, CustomDataset
from mmpretrain.registry import DATASETS

from .layout import ProtocolSplitMixin

ISIC2018_CLASSES = ('MEL', 'NV', 'BCC', 'AKIEC', 'BKL', 'DF', 'VASC')
#: The seven single-label findings CD-FSL keeps (rows whose 'Finding Labels' is exactly one of these).
CHESTX_CLASSES = ('Atelectasis', 'Cardiomegaly', 'Effusion', 'Infiltration', 'Mass', 'Nodule', 'Pneumothorax')


class _CDFSLMixin(ProtocolSplitMixin):
    OFFICIAL_SPLITS = {'all': 'all'}
    IMAGE_FOLDER = ''

    def __init__(self, data_root: str, split: str = 'all', **kwargs: Any) -> None:
        protocol = {k: kwargs.pop(k) for k in ('labels_per_class', 'label_fraction', 'subset_seed')
                    if k in kwargs}
        self._init_protocol(data_root, split, **protocol)
        super(ProtocolSplitMixin, self).__init__(ann_file='', data_root=data_root, data_prefix=self.IMAGE_FOLDER,
                                                 **kwargs)


@DATASETS.register_module()
class CropDiseases(_CDFSLMixin, CustomDataset):
    """CropDiseases (PlantVillage, 38 classes) as an image folder."""

    LAYOUT = """\
CropDiseases
└── dataset/train
    ├── Apple___Apple_scab/xxx.JPG ...
    └── ...   (38 class folders)
"""
    IMAGE_FOLDER = 'dataset/train'
    REQUIRED = (IMAGE_FOLDER,)


@DATASETS.register_module()
class EuroSAT(_CDFSLMixin, CustomDataset):
    """EuroSAT RGB (10 classes) as the image folder ``2750/``."""

    LAYOUT = """\
EuroSAT
└── 2750
    ├── AnnualCrop/AnnualCrop_1.jpg ...
    └── ...   (10 class folders)
"""
    IMAGE_FOLDER = '2750'
    REQUIRED = (IMAGE_FOLDER,)


@DATASETS.register_module()
class ISIC2018(_CDFSLMixin, BaseDataset):
    """ISIC 2018 task 3 (7 lesion classes); the label is the one-hot column set in the ground-truth CSV."""

    LAYOUT = """\
ISIC2018
├── ISIC2018_Task3_Training_Input/ISIC_0024306.jpg ...
└── ISIC2018_Task3_Training_GroundTruth
    └── ISIC2018_Task3_Training_GroundTruth.csv  (image,MEL,NV,BCC,AKIEC,BKL,DF,VASC; one-hot 0.0/1.0)
"""
    IMAGE_FOLDER = 'ISIC2018_Task3_Training_Input'
    CSV = 'ISIC2018_Task3_Training_GroundTruth/ISIC2018_Task3_Training_GroundTruth.csv'
    REQUIRED = (IMAGE_FOLDER, CSV)
    METAINFO = {'classes': ISIC2018_CLASSES}

    def read_annotations(self) -> list[dict]:
        path = os.path.join(self.data_root, self.CSV)
        self.ann_file = path
        table = pd.read_csv(path)
        missing = [c for c in ('image', *ISIC2018_CLASSES) if c not in table.columns]
        if missing:
            raise self.layout_error(path, f'columns {missing} missing')
        onehot = table[list(ISIC2018_CLASSES)].to_numpy()
        if not ((onehot == 0) | (onehot == 1)).all() or not (onehot.sum(1) == 1).all():
            raise self.layout_error(path, 'label columns are not one-hot')
        return [dict(img_path=os.path.join(self.img_prefix, f'{name}.jpg'), gt_label=int(label))
                for name, label in zip(table['image'], onehot.argmax(1))]


@DATASETS.register_module()
class ChestXray14(_CDFSLMixin, BaseDataset):
    """ChestX-ray14 restricted as in CD-FSL: images with exactly one of the seven findings of
    :data:`CHESTX_CLASSES` ("No Finding" and multi-finding images are dropped)."""

    LAYOUT = """\
ChestX-ray14
├── Data_Entry_2017.csv  (columns 'Image Index', 'Finding Labels' ('Mass', 'Effusion|Mass', ...), ...)
└── images/00000001_000.png ...
"""
    IMAGE_FOLDER = 'images'
    CSV = 'Data_Entry_2017.csv'
    REQUIRED = (IMAGE_FOLDER, CSV)
    METAINFO = {'classes': CHESTX_CLASSES}

    def read_annotations(self) -> list[dict]:
        path = os.path.join(self.data_root, self.CSV)
        self.ann_file = path
        table = pd.read_csv(path)
        missing = [c for c in ('Image Index', 'Finding Labels') if c not in table.columns]
        if missing:
            raise self.layout_error(path, f'columns {missing} missing')
        index = {name: i for i, name in enumerate(CHESTX_CLASSES)}
        kept = table[table['Finding Labels'].isin(CHESTX_CLASSES)]
        return [dict(img_path=os.path.join(self.img_prefix, name), gt_label=index[finding])
                for name, finding in zip(kept['Image Index'], kept['Finding Labels'])]
