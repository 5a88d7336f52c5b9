"""The datasets of the transfer tasks, read in their official layouts, and the transforms they need.

Importing this package registers every class: the recognition datasets in mmpretrain's DATASETS,
``CheckedVOCDataset`` in mmdet's, ``NYUv2NormalsDataset``, ``NYUv2DepthDataset`` and the normal-map / depth
transforms in mmseg's (configs reach them with ``custom_imports=dict(imports=['mmssl_transfer.datasets'])``),
and ``NumberedDrawSampler`` / ``SeedByDraw`` (augmentation seeded by the sample's draw) in mmengine's root registries.
"""
from .classification import CLS_DATASETS, DatasetLayoutError, build_cls_dataset, get_cls_dataset
from .nyuv2_depth import NYUv2DepthDataset
from .nyuv2_normals import NYUv2NormalsDataset
from .samplers import NumberedDrawSampler, SeedByDraw
from .transforms import (CheckSegMapSize, DepthResize, LoadNormalAnnotation, NormalRandomFlip, NormalResize,
                         PackNormalInputs, ShortSideResizeToMultiple)
from .voc_detection import CheckedVOCDataset, VOCDataError

__all__ = ['CLS_DATASETS', 'DatasetLayoutError', 'build_cls_dataset', 'get_cls_dataset', 'NYUv2DepthDataset',
           'NYUv2NormalsDataset', 'NumberedDrawSampler', 'SeedByDraw',
           'CheckSegMapSize', 'DepthResize', 'LoadNormalAnnotation', 'NormalRandomFlip', 'NormalResize',
           'PackNormalInputs', 'ShortSideResizeToMultiple', 'CheckedVOCDataset', 'VOCDataError']
