"""Recognition datasets: the 11 many-shot and 4 CD-FSL datasets of the paper and Kotar et al.'s CLEVR count, in
their official layouts, and their factory.

Their facts (and every other dataset's) live in the catalog, :mod:`mmssl_transfer.datasets.catalog`; the names
re-exported here are for the readers of recognition datasets.

Importing this package registers the dataset classes in mmpretrain's DATASETS registry (configs reach it with
``custom_imports=dict(imports=['mmssl_transfer.datasets'])``, which registers every dataset of the project).
"""
from ..catalog import (ALL_FEWSHOT_DATASETS, ALL_MANY_SHOT_DATASETS, CDFSL_DATASETS, CLS_DATASETS, DATA_ROOTS,
                       DENSE_DATA_ROOTS, FEWSHOT_DATASETS, MANY_SHOT_DATASETS, MANY_SHOT_FEWSHOT_DATASETS,
                       ClsDatasetSpec, get_cls_dataset)
from .builder import build_cls_dataset
from .cdfsl import CHESTX_CLASSES, ISIC2018, ISIC2018_CLASSES, ChestXray14, CropDiseases, EuroSAT
from .clevr import CLEVRCount
from .layout import DatasetLayoutError, check_command, holdout_indices, label_subset_indices
from .loading import CheckedLoadImageFromFile, ImageDecodeError
from .many_shot import (TransferAircraft, TransferCaltech101, TransferCars, TransferCIFAR10, TransferCIFAR100,
                        TransferDTD, TransferFlowers102, TransferFood101, TransferPets, TransferSUN397, TransferVOC2007)
from .pipelines import EVAL_TRANSFORMS, FINETUNE_AUGMENTATIONS, EvalTransform, finetune_pipelines, get_eval_transform

__all__ = [
    'ALL_FEWSHOT_DATASETS', 'ALL_MANY_SHOT_DATASETS', 'CDFSL_DATASETS', 'CLS_DATASETS', 'CLEVRCount',
    'DATA_ROOTS', 'DENSE_DATA_ROOTS', 'FEWSHOT_DATASETS', 'MANY_SHOT_DATASETS',
    'MANY_SHOT_FEWSHOT_DATASETS', 'ClsDatasetSpec', 'build_cls_dataset', 'get_cls_dataset', 'DatasetLayoutError',
    'holdout_indices', 'label_subset_indices', 'check_command', 'CheckedLoadImageFromFile', 'ImageDecodeError',
    'CHESTX_CLASSES', 'ISIC2018_CLASSES', 'ChestXray14', 'CropDiseases',
    'EuroSAT', 'ISIC2018', 'TransferAircraft', 'TransferCaltech101', 'TransferCars', 'TransferCIFAR10',
    'TransferCIFAR100', 'TransferDTD', 'TransferFlowers102', 'TransferFood101', 'TransferPets', 'TransferSUN397',
    'TransferVOC2007', 'EVAL_TRANSFORMS', 'FINETUNE_AUGMENTATIONS', 'EvalTransform', 'finetune_pipelines',
    'get_eval_transform',
]
