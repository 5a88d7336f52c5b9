"""The one table of datasets: what each recognition dataset is, how it is scored, which protocols use it,
where every dataset (recognition, detection, segmentation, surface normals) lives by default, where it comes
from and what a complete official copy holds (:class:`DataSource`: ``tools/prepare_data.py`` reads it).

Probes, configs, tools, the suite, the analysis and the data preparation read this table; nothing else
hard-codes a dataset property. It is a leaf: it imports no dataset class (the factory is
:func:`mmssl_transfer.datasets.classification.build_cls_dataset`; detectron2 keeps its ``MetadataCatalog`` of facts
apart from its ``DatasetCatalog`` of builders in the same way), so every reader, the dataset classes included,
can import it without a cycle.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmssl_transfer.download import cache_root

FEWSHOT_SHOTS = (5, 20, 50)


@dataclass(frozen=True)
class RemoteFile:
    """One file fetched with the project's resumable, checksummed downloader (:mod:`mmssl_transfer.download`).

    Attributes:
        url: Where it is fetched from.
        sha256: Its sha256 (checked before the file is used).
        digests: Other published digests, ``(algorithm, hex)`` (e.g. the sha1 GluonCV records for ADE20K).
        checksum_source: Who published (or how we computed) the checksum.
        into: ``'cache'``: kept in the dataset cache (:func:`dataset_cache_dir`), never in the dataset folder;
            ``'root'``: an archive unpacked where the dataset lives.
    """

    url: str
    sha256: str | None = None
    digests: tuple[tuple[str, str], ...] = ()
    checksum_source: str = ''
    into: str = 'root'

    @property
    def name(self) -> str:
        return self.url.rstrip('/').rsplit('/', 1)[-1]


@dataclass(frozen=True)
class DataSource:
    """Where a dataset comes from and what a complete official copy holds.

    Attributes:
        homepage: The dataset's page.
        counts: The official size of each split as the readers give it, ``(split, images)``; empty where no
            official count is known (CropDiseases, ChestX's 7-class subset).
        size: Approximate size on disk once prepared.
        torchvision: ``(class, kwargs)`` of the torchvision dataset calls whose ``download=True`` fetches it
            (torchvision's URLs and md5 checks); empty where torchvision cannot.
        nested_dir: The folder the official download (torchvision's or the archive's) creates around the files of
            our layout (``'dtd/dtd'``, ``'fgvc-aircraft-2013b'``); the readers also accept a root holding it, so
            ``--data-root`` may name either folder.
        files: Files fetched with the project's downloader (split files, partitions, archives without a
            torchvision downloader).
        manual: Where to get a dataset that no script can download, and the commands that unpack it.
        archives: The archive names ``--from-archive`` expects (what a manual download gives).
    """

    homepage: str
    counts: tuple[tuple[str, int], ...] = ()
    size: str = ''
    torchvision: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    nested_dir: str = ''
    files: tuple[RemoteFile, ...] = ()
    manual: tuple[str, ...] = ()
    archives: tuple[str, ...] = ()

    @property
    def downloadable(self) -> bool:
        """``--download`` can fetch it (torchvision or the project's downloader)."""
        return bool(self.torchvision or any(f.into == 'root' for f in self.files))

    @property
    def nested_roots(self) -> tuple[str, ...]:
        """Sub-folders of a given root that may hold the layout: the tails of :attr:`nested_dir`, longest last."""
        parts = [p for p in self.nested_dir.split('/') if p]
        return tuple('/'.join(parts[i:]) for i in range(len(parts) - 1, -1, -1))


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
        source: Where it comes from and what a complete copy holds (``tools/prepare_data.py``).
        default_kwargs: Dataset arguments every build gets unless overridden (the paper's protocol choices, e.g.
            Caltech101's split files); part of the feature cache key.
        image_decoder: mmcv's ``imdecode_backend`` for its files: ``'cv2'``, or ``'pillow'`` where cv2 cannot
            read every file (SUN397 holds non-JPEG files under ``.jpg`` names).
        in_paper: One of the paper's 15 datasets. False for a dataset beyond it (Kotar et al.'s CLEVR count): the
            probes accept it, but the paper's lists (:data:`MANY_SHOT_DATASETS`, :data:`FEWSHOT_DATASETS`...), its
            tables and the default datasets of a suite entry leave it out.
        split_note: How the protocol splits map onto the release, where the dataset has no official test split.
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
    source: DataSource = DataSource(homepage='')
    default_kwargs: tuple[tuple[str, Any], ...] = ()
    image_decoder: str = 'cv2'
    in_paper: bool = True
    split_note: str = ''

    @property
    def splits(self) -> tuple[str, ...]:
        return ('train', 'val', 'trainval', 'test') if self.many_shot else ('all',)

    def dataset_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """:attr:`default_kwargs` updated with ``overrides``: the arguments a build of this dataset gets."""
        return {**dict(self.default_kwargs), **overrides}

    def dataset_cfg(self, data_root: str | None = None, split: str = 'train', **kwargs: Any) -> dict:
        """An mmengine dataset config for one split."""
        return dict(type=self.type, data_root=data_root or self.data_root, split=split, **self.dataset_kwargs(**kwargs))


@dataclass(frozen=True)
class DenseDatasetSpec:
    """One dense-prediction dataset (detection, segmentation, surface normals): its root and its source."""

    name: str
    data_root: str
    source: DataSource


#: The paper's Caltech101 split files (linusericsson/ssl-transfer ``caltech101-splits/``) at the commit that added
#: them: ``train.txt`` there has 3060 rows drawn with replacement (2416 unique images, 17..30 per class; the file
#: was deduplicated in 2023, commit 416913f), ``test.txt`` 6728 rows. The sha256 were computed from the files at
#: that commit.
CALTECH101_PAPER_SPLIT_COMMIT = '5fbb1eb06f5bb69ef40426410f9e83602a04f04e'
_CALTECH_SPLIT_URL = f'https://raw.githubusercontent.com/linusericsson/ssl-transfer/{CALTECH101_PAPER_SPLIT_COMMIT}/' \
    'caltech101-splits/{part}.txt'
CALTECH101_PAPER_SPLIT: dict[str, RemoteFile] = {
    'train': RemoteFile(_CALTECH_SPLIT_URL.format(part='train'),
                        sha256='11ebeedd88c494ebecbecb05770f5f379cbfc1c8c2cbf8796c86bcb9a192bf11',
                        checksum_source='computed from the file at the pinned commit', into='cache'),
    'test': RemoteFile(_CALTECH_SPLIT_URL.format(part='test'),
                       sha256='b9ed3419c72dff3f1ad3cb7cee5eb756e6e59502cc0062d46f3b454da3f87c24',
                       checksum_source='computed from the file at the pinned commit', into='cache'),
}

#: The CLEVR v1.0 release (images and scenes, 18 GB) and its md5, as torchvision's ``CLEVRClassification`` lists
#: them; fetched with the project's resumable downloader (a test checks they are still torchvision's).
CLEVR_URL = 'https://dl.fbaipublicfiles.com/clevr/CLEVR_v1.0.zip'
CLEVR_MD5 = 'b11922020e72d0cd9154779b2d3d07d2'

_VOC07_TV = ('VOCDetection', (('year', '2007'), ('image_set', 'trainval')))
_VOC07_TEST = ('VOCDetection', (('year', '2007'), ('image_set', 'test')))
_VOC12_TV = ('VOCDetection', (('year', '2012'), ('image_set', 'trainval')))

_SOURCES: dict[str, DataSource] = {
    'aircraft': DataSource(
        'https://www.robots.ox.ac.uk/~vgg/data/fgvc-aircraft/', size='2.8 GB',
        counts=(('train', 3334), ('val', 3333), ('test', 3333)),
        torchvision=(('FGVCAircraft', (('split', 'trainval'),)),), nested_dir='fgvc-aircraft-2013b',
        archives=('fgvc-aircraft-2013b.tar.gz',)),
    'caltech101': DataSource(
        'https://data.caltech.edu/records/mzrjq-6wc02', size='0.15 GB',
        counts=(('trainval', 3060), ('test', 6728)),
        torchvision=(('Caltech101', ()),), nested_dir='caltech101',
        files=tuple(CALTECH101_PAPER_SPLIT.values()),
        archives=('caltech-101.zip',)),
    'cars': DataSource(
        'https://ai.stanford.edu/~jkrause/cars/car_dataset.html', size='1.9 GB',
        counts=(('trainval', 8144), ('test', 8041)), nested_dir='stanford_cars',
        manual=('The original host is gone and torchvision cannot download Stanford Cars. Use a copy you have: '
                'the original cars_train.tgz, cars_test.tgz, car_devkit.tgz + cars_test_annos_withlabels.mat; '
                "torchvision's layout (devkit/ + cars_test_annos_withlabels.mat at the root); or a Kaggle copy "
                '(kaggle datasets download -d jessicali9530/stanford-cars-dataset: cars_train/cars_train, '
                'cars_test/cars_test, cars_annos.mat)',
                'python tools/prepare_data.py cars --from-archive ARCHIVE [ARCHIVE ...]'),
        archives=('cars_train.tgz', 'cars_test.tgz', 'car_devkit.tgz', 'cars_test_annos_withlabels.mat',
                  'stanford-cars-dataset.zip')),
    'cifar10': DataSource(
        'https://www.cs.toronto.edu/~kriz/cifar.html', size='0.18 GB', counts=(('trainval', 50000), ('test', 10000)),
        torchvision=(('CIFAR10', (('train', True),)),), archives=('cifar-10-python.tar.gz',)),
    'cifar100': DataSource(
        'https://www.cs.toronto.edu/~kriz/cifar.html', size='0.18 GB', counts=(('trainval', 50000), ('test', 10000)),
        torchvision=(('CIFAR100', (('train', True),)),), archives=('cifar-100-python.tar.gz',)),
    'dtd': DataSource(
        'https://www.robots.ox.ac.uk/~vgg/data/dtd/', size='0.6 GB',
        counts=(('train', 1880), ('val', 1880), ('test', 1880)),
        torchvision=(('DTD', ()),), nested_dir='dtd/dtd', archives=('dtd-r1.0.1.tar.gz',)),
    'flowers': DataSource(
        'https://www.robots.ox.ac.uk/~vgg/data/flowers/102/', size='0.35 GB',
        counts=(('train', 1020), ('val', 1020), ('test', 6149)),
        torchvision=(('Flowers102', ()),), nested_dir='flowers-102',
        archives=('102flowers.tgz', 'imagelabels.mat', 'setid.mat')),
    'food': DataSource(
        'https://data.vision.ee.ethz.ch/cvl/datasets_extra/food-101/', size='5 GB',
        counts=(('trainval', 75750), ('test', 25250)),
        torchvision=(('Food101', ()),), nested_dir='food-101', archives=('food-101.tar.gz',)),
    'pets': DataSource(
        'https://www.robots.ox.ac.uk/~vgg/data/pets/', size='0.8 GB', counts=(('trainval', 3680), ('test', 3669)),
        torchvision=(('OxfordIIITPet', ()),), nested_dir='oxford-iiit-pet',
        archives=('images.tar.gz', 'annotations.tar.gz')),
    'sun397': DataSource(
        'https://vision.princeton.edu/projects/2010/SUN/', size='37 GB',
        counts=(('trainval', 19850), ('test', 19850)),
        torchvision=(('SUN397', ()),),
        files=(RemoteFile('https://vision.princeton.edu/projects/2010/SUN/download/Partitions.zip',
                          sha256='e3311ea5f812d4cc6faef194688343d1111f6cd6f70f2c62f393c2b8d6ba1ec9',
                          checksum_source="torchvision's prototype SUN397 dataset"),),
        archives=('SUN397.tar.gz', 'Partitions.zip')),
    'voc2007': DataSource(
        'http://host.robots.ox.ac.uk/pascal/VOC/voc2007/', size='0.9 GB',
        counts=(('train', 2501), ('val', 2510), ('test', 4952)),
        torchvision=(_VOC07_TV, _VOC07_TEST), nested_dir='VOCdevkit/VOC2007',
        archives=('VOCtrainval_06-Nov-2007.tar', 'VOCtest_06-Nov-2007.tar')),
    'cropdiseases': DataSource(
        'https://www.kaggle.com/datasets/saroz014/plant-disease', size='2 GB',
        manual=('CD-FSL uses the Kaggle copy of PlantVillage with 38 classes under dataset/train: '
                'kaggle datasets download -d saroz014/plant-disease',
                'python tools/prepare_data.py cropdiseases --from-archive plant-disease.zip'),
        archives=('plant-disease.zip',)),
    'eurosat': DataSource(
        'https://github.com/phelber/EuroSAT', size='0.09 GB', counts=(('all', 27000),),
        torchvision=(('EuroSAT', ()),), nested_dir='eurosat',
        archives=('EuroSAT.zip', 'EuroSAT_RGB.zip')),
    'isic2018': DataSource(
        'https://challenge.isic-archive.com/data/#2018', size='2.6 GB', counts=(('all', 10015),),
        manual=('Download task 3 training input and ground truth from https://challenge.isic-archive.com/data/#2018 '
                '(ISIC2018_Task3_Training_Input.zip, ISIC2018_Task3_Training_GroundTruth.zip)',
                'python tools/prepare_data.py isic2018 --from-archive ISIC2018_Task3_Training_Input.zip '
                'ISIC2018_Task3_Training_GroundTruth.zip'),
        archives=('ISIC2018_Task3_Training_Input.zip', 'ISIC2018_Task3_Training_GroundTruth.zip')),
    'chestx': DataSource(
        'https://nihcc.app.box.com/v/ChestXray-NIHCC', size='45 GB',
        manual=('Download images_001.tar.gz .. images_012.tar.gz and Data_Entry_2017.csv from '
                'https://nihcc.app.box.com/v/ChestXray-NIHCC (or the Kaggle mirror: kaggle datasets download -d '
                'nih-chest-xrays/data, with images_0NN/images/ folders)',
                'python tools/prepare_data.py chestx --from-archive images_*.tar.gz Data_Entry_2017.csv'),
        archives=('images_001.tar.gz', 'Data_Entry_2017.csv', 'data.zip')),
    # CLEVR v1.0 (Johnson et al. 2017) as torchvision's CLEVRClassification reads it; its test scenes are not public
    'clevr_count': DataSource(
        'https://cs.stanford.edu/people/jcjohns/clevr/', size='18 GB',
        counts=(('trainval', 70000), ('test', 15000)), nested_dir='clevr/CLEVR_v1.0',
        files=(RemoteFile(CLEVR_URL, digests=(('md5', CLEVR_MD5),),
                          checksum_source="torchvision's CLEVRClassification (_URL, _MD5)"),),
        archives=('CLEVR_v1.0.zip',)),
}

_CDFSL = dict(many_shot=False, fewshot_pool=('all',), fewshot_shots=FEWSHOT_SHOTS)

CLS_DATASETS: dict[str, ClsDatasetSpec] = {s.name: s for s in (
    ClsDatasetSpec('aircraft', 'TransferAircraft', 'mean_per_class', 100, 'data/fgvc-aircraft-2013b',
                   official_val=True, source=_SOURCES['aircraft']),
    ClsDatasetSpec('caltech101', 'TransferCaltech101', 'mean_per_class', 102, 'data/caltech101',
                   fewshot_shots=(5, 20), source=_SOURCES['caltech101'],
                   default_kwargs=(('caltech_split', 'paper'),)),
    ClsDatasetSpec('cars', 'TransferCars', 'top1', 196, 'data/stanford_cars', fewshot_shots=(5, 20),
                   source=_SOURCES['cars']),
    ClsDatasetSpec('cifar10', 'TransferCIFAR10', 'top1', 10, 'data/cifar10', source=_SOURCES['cifar10']),
    ClsDatasetSpec('cifar100', 'TransferCIFAR100', 'top1', 100, 'data/cifar100', source=_SOURCES['cifar100']),
    ClsDatasetSpec('dtd', 'TransferDTD', 'top1', 47, 'data/dtd', official_val=True, source=_SOURCES['dtd']),
    ClsDatasetSpec('flowers', 'TransferFlowers102', 'mean_per_class', 102, 'data/flowers102',
                   official_val=True, fewshot_shots=(5, 20), source=_SOURCES['flowers']),
    ClsDatasetSpec('food', 'TransferFood101', 'top1', 101, 'data/food-101', source=_SOURCES['food']),
    ClsDatasetSpec('pets', 'TransferPets', 'mean_per_class', 37, 'data/oxford-iiit-pet', source=_SOURCES['pets']),
    ClsDatasetSpec('sun397', 'TransferSUN397', 'top1', 397, 'data/SUN397', source=_SOURCES['sun397'],
                   image_decoder='pillow'),
    ClsDatasetSpec('voc2007', 'TransferVOC2007', 'voc11_map', 20, 'data/VOCdevkit/VOC2007',
                   official_val=True, fewshot_shots=(), multilabel=True, source=_SOURCES['voc2007']),
    ClsDatasetSpec('cropdiseases', 'CropDiseases', 'top1', 38, 'data/CropDiseases', **_CDFSL,
                   source=_SOURCES['cropdiseases']),
    ClsDatasetSpec('eurosat', 'EuroSAT', 'top1', 10, 'data/EuroSAT', **_CDFSL, source=_SOURCES['eurosat']),
    ClsDatasetSpec('isic2018', 'ISIC2018', 'top1', 7, 'data/ISIC2018', **_CDFSL, source=_SOURCES['isic2018']),
    ClsDatasetSpec('chestx', 'ChestXray14', 'top1', 7, 'data/ChestX-ray14', **_CDFSL, source=_SOURCES['chestx']),
    # beyond the paper: Kotar et al.'s (ICCV 2021, ViRB) image-level structural task, the number of objects of a
    # CLEVR scene (3..10: 8 classes). CLEVR's test scenes are not public, so (as ViRB does) its val serves as the
    # test split; val is the paper's seeded 20% of CLEVR's train (trainval = CLEVR train)
    ClsDatasetSpec('clevr_count', 'CLEVRCount', 'top1', 8, 'data/clevr', in_paper=False,
                   source=_SOURCES['clevr_count'],
                   split_note="test = CLEVR val, val = the paper's seeded 20% of CLEVR train"),
)}

#: The paper's 11 many-shot datasets: linear probe and finetuning (train/val/trainval/test splits).
MANY_SHOT_DATASETS = tuple(n for n, s in CLS_DATASETS.items() if s.many_shot and s.in_paper)
#: The paper's 4 cross-domain few-shot (CD-FSL) datasets: few-shot only, episodes drawn from every image.
CDFSL_DATASETS = tuple(n for n, s in CLS_DATASETS.items() if not s.many_shot and s.in_paper)
#: The datasets beyond the paper's 15 (Kotar et al.'s CLEVR count): run by the probes, absent from the paper's lists.
EXTRA_DATASETS = tuple(n for n, s in CLS_DATASETS.items() if not s.in_paper)
#: Every dataset the many-shot protocols (linear probe, finetune) accept: the paper's 11, then the extra ones.
ALL_MANY_SHOT_DATASETS = MANY_SHOT_DATASETS + tuple(n for n in EXTRA_DATASETS if CLS_DATASETS[n].many_shot)
#: The many-shot datasets that also have a few-shot protocol (the paper's few-shot table: all but VOC2007).
MANY_SHOT_FEWSHOT_DATASETS = tuple(n for n in MANY_SHOT_DATASETS if CLS_DATASETS[n].fewshot_shots)
#: The paper's datasets with a few-shot protocol: :data:`MANY_SHOT_FEWSHOT_DATASETS` then :data:`CDFSL_DATASETS`.
FEWSHOT_DATASETS = tuple(n for n, s in CLS_DATASETS.items() if s.fewshot_shots and s.in_paper)
#: Every dataset the few-shot protocol accepts: the paper's, then the extra ones.
ALL_FEWSHOT_DATASETS = FEWSHOT_DATASETS + tuple(n for n in EXTRA_DATASETS if CLS_DATASETS[n].fewshot_shots)

#: The dense-prediction datasets: VOC07+12 detection, ADE20K segmentation, NYUv2 surface normals (in the layout
#: of ``tools/prepare_nyuv2_normals.py``). Their configs under ``configs/_base_/datasets/`` use these roots.
DENSE_DATASETS: dict[str, DenseDatasetSpec] = {s.name: s for s in (
    DenseDatasetSpec('voc0712', 'data/VOCdevkit', DataSource(
        'http://host.robots.ox.ac.uk/pascal/VOC/', size='3.6 GB',
        counts=(('VOC2007 trainval', 5011), ('VOC2007 test', 4952), ('VOC2012 trainval', 11540)),
        torchvision=(_VOC07_TV, _VOC07_TEST, _VOC12_TV), nested_dir='VOCdevkit',
        archives=('VOCtrainval_06-Nov-2007.tar', 'VOCtest_06-Nov-2007.tar', 'VOCtrainval_11-May-2012.tar'))),
    DenseDatasetSpec('ade20k', 'data/ade/ADEChallengeData2016', DataSource(
        'http://sceneparsing.csail.mit.edu/', size='1 GB', counts=(('training', 20210), ('validation', 2000)),
        nested_dir='ADEChallengeData2016',
        files=(RemoteFile('http://data.csail.mit.edu/places/ADEchallenge/ADEChallengeData2016.zip',
                          digests=(('sha1', '219e1696abb36c8ba3a3afe7fb2f4b4606a897c7'),),
                          checksum_source="GluonCV's ADE20K preparation script"),),
        archives=('ADEChallengeData2016.zip',))),
    DenseDatasetSpec('nyuv2', 'data/nyuv2_normals', DataSource(
        'https://cs.nyu.edu/~silberman/datasets/nyu_depth_v2.html', size='3 GB',
        counts=(('train', 795), ('test', 654)),
        manual=('Download the surface-normal release the paper used: '
                'https://dl.fbaipublicfiles.com/fair_self_supervision_benchmark/nyuv2_surfacenormal_metadata.zip '
                'and the labelled NYU Depth v2 images: '
                'http://horatio.cs.nyu.edu/mit/silberman/nyu_depth_v2/nyu_depth_v2_labeled.mat (2.8 GB; reading it '
                'needs h5py)',
                'python tools/prepare_data.py nyuv2 --from-archive nyuv2_surfacenormal_metadata.zip '
                'nyu_depth_v2_labeled.mat  (or: python tools/prepare_nyuv2_normals.py METADATA_DIR '
                'nyu_depth_v2_labeled.mat data/nyuv2_normals)'),
        archives=('nyuv2_surfacenormal_metadata.zip', 'nyu_depth_v2_labeled.mat'))),
)}
#: Default roots of the dense-prediction datasets.
DENSE_DATA_ROOTS: dict[str, str] = {name: spec.data_root for name, spec in DENSE_DATASETS.items()}
#: Where each dataset lives unless a tool or suite is told otherwise (OpenMMLab's ``data/`` convention).
DATA_ROOTS: dict[str, str] = {**DENSE_DATA_ROOTS, **{n: s.data_root for n, s in CLS_DATASETS.items()}}


#: Where each dataset comes from and what a complete copy holds, for every dataset of :data:`DATA_ROOTS`.
DATA_SOURCES: dict[str, DataSource] = {**{n: s.source for n, s in DENSE_DATASETS.items()},
                                       **{n: s.source for n, s in CLS_DATASETS.items()}}


def dataset_cache_dir() -> Path:
    """``$MMSSL_CACHE/datasets`` (default ``~/.cache/mmssl-transfer/datasets``): files derived from or fetched
    for datasets (split files), kept out of the dataset folders, which may be read-only."""
    return cache_root() / 'datasets'


def spec_of_type(type_name: str) -> ClsDatasetSpec | None:
    """The table entry whose registered class is ``type_name`` (None for a class outside the table)."""
    return next((s for s in CLS_DATASETS.values() if s.type == type_name), None)


def get_cls_dataset(name: str) -> ClsDatasetSpec:
    """The table entry of one dataset; unknown names list the known ones."""
    try:
        return CLS_DATASETS[name]
    except KeyError:
        raise KeyError(f'unknown recognition dataset {name!r}; known: {sorted(CLS_DATASETS)}') from None
