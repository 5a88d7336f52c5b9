"""The four cross-domain few-shot (CD-FSL, Guo et al. 2020) datasets, in the layouts the CD-FSL code reads.

They have no splits: the few-shot protocol draws episodes from everything (``split='all'``).
CropDiseases and EuroSAT are image folders (mmpretrain's ``CustomDataset``: sorted class folders, as
torchvision's ``ImageFolder``); every class folder must be one of the dataset's official classes, so a folder at
the wrong depth (``2750/2750``, ``dataset/train/train``) or another copy with other classes is an error, never a
silently different dataset (a copy missing some classes loads; ``tools/prepare_data.py --check`` reports it).
ISIC2018 and ChestX-ray14 come with CSV label files.
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
#: EuroSAT RGB's ten land-use classes (the folders of ``2750/``).
EUROSAT_CLASSES = ('AnnualCrop', 'Forest', 'HerbaceousVegetation', 'Highway', 'Industrial', 'Pasture',
                   'PermanentCrop', 'Residential', 'River', 'SeaLake')
#: The 38 PlantVillage classes of CD-FSL's CropDiseases (the folders of ``dataset/train``).
CROPDISEASES_CLASSES = (
    'Apple___Apple_scab', 'Apple___Black_rot', 'Apple___Cedar_apple_rust', 'Apple___healthy', 'Blueberry___healthy',
    'Cherry_(including_sour)___Powdery_mildew', 'Cherry_(including_sour)___healthy',
    'Corn_(maize)___Cercospora_leaf_spot Gray_leaf_spot', 'Corn_(maize)___Common_rust_',
    'Corn_(maize)___Northern_Leaf_Blight', 'Corn_(maize)___healthy', 'Grape___Black_rot',
    'Grape___Esca_(Black_Measles)', 'Grape___Leaf_blight_(Isariopsis_Leaf_Spot)', 'Grape___healthy',
    'Orange___Haunglongbing_(Citrus_greening)', 'Peach___Bacterial_spot', 'Peach___healthy',
    'Pepper,_bell___Bacterial_spot', 'Pepper,_bell___healthy', 'Potato___Early_blight', 'Potato___Late_blight',
    'Potato___healthy', 'Raspberry___healthy', 'Soybean___healthy', 'Squash___Powdery_mildew',
    'Strawberry___Leaf_scorch', 'Strawberry___healthy', 'Tomato___Bacterial_spot', 'Tomato___Early_blight',
    'Tomato___Late_blight', 'Tomato___Leaf_Mold', 'Tomato___Septoria_leaf_spot',
    'Tomato___Spider_mites Two-spotted_spider_mite', 'Tomato___Target_Spot', 'Tomato___Tomato_Yellow_Leaf_Curl_Virus',
    'Tomato___Tomato_mosaic_virus', 'Tomato___healthy')


class _CDFSLMixin(ProtocolSplitMixin):
    OFFICIAL_SPLITS = {'all': 'all'}
    IMAGE_FOLDER = ''

    def __init__(self, data_root: str, split: str = 'all', **kwargs: Any) -> None:
        protocol = {k: kwargs.pop(k) for k in ('labels_per_class', 'label_fraction', 'subset_seed')
                    if k in kwargs}
        _, root = self._init_protocol(data_root, split, **protocol)
        super(ProtocolSplitMixin, self).__init__(ann_file='', data_root=str(root), data_prefix=self.IMAGE_FOLDER,
                                                 **kwargs)


class _ImageFolderMixin(_CDFSLMixin):
    """Class folders checked against ``OFFICIAL_CLASSES`` before mmpretrain's ``CustomDataset`` scans them."""

    OFFICIAL_CLASSES: tuple[str, ...] = ()

    def read_annotations(self) -> list[dict]:
        folder = os.path.join(self.data_root, self.IMAGE_FOLDER)
        present = sorted(e.name for e in os.scandir(folder) if e.is_dir())
        unknown = [name for name in present if name not in self.OFFICIAL_CLASSES]
        if unknown:
            hint = ''
            if len(present) == 1:
                hint = f'; a folder at the wrong depth? the classes may be in {os.path.join(folder, present[0])}'
            raise self.layout_error(folder, f'{len(unknown)} folders that are not {type(self).__name__} classes '
                                            f'({", ".join(unknown[:5])}{", ..." if len(unknown) > 5 else ""}): '
                                            f'another copy of the dataset{hint}')
        if not present:
            raise self.layout_error(folder, 'no class folders')
        return super().read_annotations()


@DATASETS.register_module()
class CropDiseases(_ImageFolderMixin, CustomDataset):
    """CropDiseases (PlantVillage, 38 classes) as an image folder."""

    LAYOUT = """\
CropDiseases
└── dataset/train
    ├── Apple___Apple_scab/xxx.JPG ...
    └── ...   (38 class folders)
"""
    IMAGE_FOLDER = 'dataset/train'
    REQUIRED = (IMAGE_FOLDER,)
    OFFICIAL_CLASSES = CROPDISEASES_CLASSES


@DATASETS.register_module()
class EuroSAT(_ImageFolderMixin, CustomDataset):
    """EuroSAT RGB (10 classes) as the image folder ``2750/``."""

    LAYOUT = """\
EuroSAT
└── 2750
    ├── AnnualCrop/AnnualCrop_1.jpg ...
    └── ...   (10 class folders)
"""
    IMAGE_FOLDER = '2750'
    REQUIRED = (IMAGE_FOLDER,)
    OFFICIAL_CLASSES = EUROSAT_CLASSES


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
