"""Build one split of a catalog dataset: the factory beside the facts of :mod:`mmssl_transfer.datasets.catalog`."""
from __future__ import annotations

from typing import Any

from mmssl_transfer.datasets.catalog import get_cls_dataset

from . import cdfsl, clevr, loading, many_shot  # noqa: F401  (registers the classes and the loading transform)


def build_cls_dataset(name: str, data_root: str | None = None, split: str = 'train',
                      pipeline: list | tuple = (), **kwargs: Any):
    """Build one split of a table dataset through mmpretrain's DATASETS registry."""
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS

    spec = get_cls_dataset(name)
    if split not in spec.splits:
        raise ValueError(f'{name} has splits {spec.splits}, not {split!r}')
    # the default scope is global per process: build (and resolve the pipeline) in mmpretrain's explicitly
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return DATASETS.build(spec.dataset_cfg(data_root, split, pipeline=list(pipeline), **kwargs))
