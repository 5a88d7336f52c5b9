"""The one table of datasets: what each recognition dataset is, how it is scored, which protocols use it, and
where every dataset (recognition, detection, segmentation, surface normals) lives by default.

Probes, configs, tools and the suite read this table; nothing else hard-codes a dataset property.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FEWSHOT_SHOTS = (5, 20, 50)


@dataclass(frozen=True)
class ClsDatasetSpec:
    """One recognition dataset.

    Attributes:
        name: Short name used by tools, caches and result files.
        type: Registered mmpretrain dataset class (``mmssl_transfer.datasets.classification``).
        metric: ``top1``, ``mean_per_class`` or ``voc11_map`` (the paper's choice for the dataset; a key of
            :data:`~mmssl_transfer.evaluation.functional.classification.CLS_METRIC_FUNCTIONS`, which a test checks:
            the catalog sits above evaluation and does not import it).
        num_classes: Number of classes of the full, official dataset.
        data_root: Conventional location under ``data/``.
        many_shot: Used by the many-shot linear and finetune protocols (train/val/trainval/test).
        official_val: The dataset has an official val split (else a seeded 20% of train).
        fewshot_shots: The K of K-shot evaluations run on it (50-shot skips Caltech101, Cars, Flowers).
        fewshot_pool: Splits pooled to draw few-shot episodes from.
        multilabel: One binary problem per class (VOC2007).
    """

    name: str
    type: str
    metric: str
    num_classes: int
    data_root: str
    many_shot: bool = True
    official_val: bool = False
    fewshot_shots: tuple[int, ...] = FEWSHOT_SHOTS
    fewshot_pool: tuple[str, ...] = ('trainval', 'test')
    multilabel: bool = False

    @property
    def splits(self) -> tuple[str, ...]:
        return ('train', 'val', 'trainval', 'test') if self.many_shot else ('all',)

    def dataset_cfg(self, data_root: str | None = None, split: str = 'train', **kwargs: Any) -> dict:
        """An mmengine dataset config for one split."""
        return dict(type=self.type, data_root=data_root or self.data_root, split=split, **kwargs)


_CDFSL = dict(many_shot=False, fewshot_pool=('all',), fewshot_shots=FEWSHOT_SHOTS)

CLS_DATASETS: dict[str, ClsDatasetSpec] = {s.name: s for s in (
    ClsDatasetSpec('aircraft', 'TransferAircraft', 'mean_per_class', 100, 'data/fgvc-aircraft-2013b',
                   official_val=True),
    ClsDatasetSpec('caltech101', 'TransferCaltech101', 'mean_per_class', 102, 'data/caltech101',
                   fewshot_shots=(5, 20)),
    ClsDatasetSpec('cars', 'TransferCars', 'top1', 196, 'data/stanford_cars', fewshot_shots=(5, 20)),
    ClsDatasetSpec('cifar10', 'TransferCIFAR10', 'top1', 10, 'data/cifar10'),
    ClsDatasetSpec('cifar100', 'TransferCIFAR100', 'top1', 100, 'data/cifar100'),
    ClsDatasetSpec('dtd', 'TransferDTD', 'top1', 47, 'data/dtd', official_val=True),
    ClsDatasetSpec('flowers', 'TransferFlowers102', 'mean_per_class', 102, 'data/flowers102',
                   official_val=True, fewshot_shots=(5, 20)),
    ClsDatasetSpec('food', 'TransferFood101', 'top1', 101, 'data/food-101'),
    ClsDatasetSpec('pets', 'TransferPets', 'mean_per_class', 37, 'data/oxford-iiit-pet'),
    ClsDatasetSpec('sun397', 'TransferSUN397', 'top1', 397, 'data/SUN397'),
    ClsDatasetSpec('voc2007', 'TransferVOC2007', 'voc11_map', 20, 'data/VOCdevkit/VOC2007',
                   official_val=True, fewshot_shots=(), multilabel=True),
    ClsDatasetSpec('cropdiseases', 'CropDiseases', 'top1', 38, 'data/CropDiseases', **_CDFSL),
    ClsDatasetSpec('eurosat', 'EuroSAT', 'top1', 10, 'data/EuroSAT', **_CDFSL),
    ClsDatasetSpec('isic2018', 'ISIC2018', 'top1', 7, 'data/ISIC2018', **_CDFSL),
    ClsDatasetSpec('chestx', 'ChestXray14', 'top1', 7, 'data/ChestX-ray14', **_CDFSL),
)}

#: The 11 many-shot datasets: linear probe and finetuning (train/val/trainval/test splits).
MANY_SHOT_DATASETS = tuple(n for n, s in CLS_DATASETS.items() if s.many_shot)
#: The 4 cross-domain few-shot (CD-FSL) datasets: few-shot only, episodes drawn from every image.
CDFSL_DATASETS = tuple(n for n, s in CLS_DATASETS.items() if not s.many_shot)
#: The many-shot datasets that also have a few-shot protocol (the paper's few-shot table: all but VOC2007).
MANY_SHOT_FEWSHOT_DATASETS = tuple(n for n in MANY_SHOT_DATASETS if CLS_DATASETS[n].fewshot_shots)
#: Every dataset with a few-shot protocol: :data:`MANY_SHOT_FEWSHOT_DATASETS` then :data:`CDFSL_DATASETS`.
FEWSHOT_DATASETS = tuple(n for n, s in CLS_DATASETS.items() if s.fewshot_shots)

#: Default roots of the dense-prediction datasets: VOC07+12 detection, ADE20K segmentation, NYUv2 surface normals
#: (in the layout of ``tools/prepare_nyuv2_normals.py``). Their configs under ``configs/_base_/datasets/`` agree.
DENSE_DATA_ROOTS: dict[str, str] = {
    'voc0712': 'data/VOCdevkit',
    'ade20k': 'data/ade/ADEChallengeData2016',
    'nyuv2': 'data/nyuv2_normals',
}
#: Where each dataset lives unless a tool or suite is told otherwise (OpenMMLab's ``data/`` convention).
DATA_ROOTS: dict[str, str] = {**DENSE_DATA_ROOTS, **{n: s.data_root for n, s in CLS_DATASETS.items()}}


def get_cls_dataset(name: str) -> ClsDatasetSpec:
    """The table entry of one dataset; unknown names list the known ones."""
    try:
        return CLS_DATASETS[name]
    except KeyError:
        raise KeyError(f'unknown recognition dataset {name!r}; known: {sorted(CLS_DATASETS)}') from None


def build_cls_dataset(name: str, data_root: str | None = None, split: str = 'train',
                      pipeline: list | tuple = (), **kwargs: Any):
    """Build one split of a table dataset through mmpretrain's DATASETS registry."""
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS

    from . import cdfsl, many_shot  # noqa: F401  (registers the classes)
    spec = get_cls_dataset(name)
    if split not in spec.splits:
        raise ValueError(f'{name} has splits {spec.splits}, not {split!r}')
    # the default scope is global per process: build (and resolve the pipeline) in mmpretrain's explicitly
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return DATASETS.build(spec.dataset_cfg(data_root, split, pipeline=list(pipeline), **kwargs))
