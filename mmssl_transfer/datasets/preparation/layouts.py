"""What each dataset's folder must hold: the layout drawing, its top-level entries, and the nested folder.

The recognition datasets' layouts are their reader classes' ``LAYOUT`` / ``REQUIRED`` (one place, the class that
reads the files); the dense-prediction datasets' are written here, from the readers mmdet / mmseg / our
``NYUv2NormalsDataset`` use.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..catalog import CLS_DATASETS, DATA_ROOTS, DATA_SOURCES


@dataclass(frozen=True)
class DenseLayout:
    """The layout of one dense-prediction dataset.

    Attributes:
        drawing: The tree, as the error messages draw it.
        entries: Its top-level names (what an unpacked archive must hold).
    """

    drawing: str
    entries: tuple[str, ...]


DENSE_LAYOUTS: dict[str, DenseLayout] = {
    'voc0712': DenseLayout("""\
VOCdevkit
├── VOC2007
│   ├── JPEGImages/000001.jpg ...
│   ├── Annotations/000001.xml ...
│   └── ImageSets/Main/{trainval,test}.txt
└── VOC2012
    ├── JPEGImages/2008_000002.jpg ...
    ├── Annotations/2008_000002.xml ...
    └── ImageSets/Main/trainval.txt
""", ('VOC2007', 'VOC2012')),
    'ade20k': DenseLayout("""\
ADEChallengeData2016
├── images
│   ├── training/ADE_train_00000001.jpg ...     (20210)
│   └── validation/ADE_val_00000001.jpg ...     (2000)
└── annotations
    ├── training/ADE_train_00000001.png ...
    └── validation/ADE_val_00000001.png ...
""", ('images', 'annotations')),
    'nyuv2': DenseLayout("""\
nyuv2_normals   (written by tools/prepare_nyuv2_normals.py)
├── images/{train,test}/000003.png ...    (795 / 654)
├── normals/{train,test}/000003.png ...
├── masks/{train,test}/000003.png ...
├── depths/{train,test}/000003.png ...    (16-bit mm; from nyu_depth_v2_labeled.mat)
└── normal_clusters_k40.npy
""", ('images', 'normals', 'masks')),
}

#: Every dataset prepare_data.py knows: the recognition ones, then the dense ones (the catalog's order).
DATASET_NAMES: tuple[str, ...] = tuple(CLS_DATASETS) + tuple(n for n in DATA_ROOTS if n not in CLS_DATASETS)


def reader_class(name: str):
    """The registered reader class of a recognition dataset (None for a dense one)."""
    if name not in CLS_DATASETS:
        return None
    from mmpretrain.registry import DATASETS

    from ..classification import cdfsl, clevr, many_shot  # noqa: F401  (registers the classes)
    return DATASETS.get(CLS_DATASETS[name].type)


def layout_drawing(name: str) -> str:
    """The expected tree of ``name``."""
    cls = reader_class(name)
    return cls.LAYOUT if cls is not None else DENSE_LAYOUTS[name].drawing


def layout_entries(name: str) -> tuple[str, ...]:
    """The top-level names of ``name``'s layout."""
    cls = reader_class(name)
    return cls.layout_entries() if cls is not None else DENSE_LAYOUTS[name].entries


def nested_roots(name: str) -> tuple[str, ...]:
    """Sub-folders of a root that may hold the layout (where the official download puts it)."""
    return DATA_SOURCES[name].nested_roots


def locate(name: str, root: str | Path) -> Path:
    """``root`` or its nested sub-folder that holds the most of the layout's top-level entries."""
    root = Path(root)
    entries = layout_entries(name)
    candidates = [root, *(root / n for n in nested_roots(name))]
    scored = [(sum((c / e).exists() for e in entries), -i, c) for i, c in enumerate(candidates) if c.is_dir()]
    return max(scored)[2] if scored and max(scored)[0] else root


def download_root(name: str, root: str | Path) -> tuple[Path, Path]:
    """Where a download for ``name`` must be unpacked so its files land in (a nested folder of) ``root``.

    The official download creates the catalog's ``nested_dir`` around the files. When ``root`` ends with the
    start of that folder (``data/dtd`` for ``dtd/dtd``) it is unpacked in the matching ancestor (``data``), so
    the files land in ``root`` itself or in a folder the readers accept; otherwise in ``root``.

    Returns:
        (folder to unpack in, folder that will hold the layout).
    """
    root = Path(root)
    parts = [p for p in DATA_SOURCES[name].nested_dir.split('/') if p]
    for k in range(min(len(parts), len(root.parts)), 0, -1):
        if list(root.parts[-k:]) == parts[:k]:
            base = root.parents[k - 1]
            return base, base.joinpath(*parts)
    return root, root.joinpath(*parts)
