"""NYUv2 depth (the labelled frames' metric depth) as an mmseg dataset, in the folder the normals task uses."""
from __future__ import annotations

import os.path as osp
from typing import Any

import mmengine.fileio as fileio
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .nyuv2_normals import SPLITS


@DATASETS.register_module()
class NYUv2DepthDataset(BaseSegDataset):
    """NYUv2 monocular depth on the standard 795 / 654 labelled split, beside the normals of the same images.

    ``tools/prepare_nyuv2_normals.py`` (or ``tools/prepare_data.py nyuv2``) writes ``depths/`` next to
    ``images/`` when the images come from ``nyu_depth_v2_labeled.mat`` (see
    :mod:`mmssl_transfer.datasets.nyuv2_release`):

    .. code-block:: none

        ├── data
        │   ├── nyuv2_normals
        │   │   ├── images/{train,test}/000003.png   (RGB, 8-bit; 795 / 654 images)
        │   │   ├── depths/{train,test}/000003.png   (16-bit millimetres, 0 = no depth)
        │   │   ├── normals/ masks/ ...              (the normals task's)

    Each data info carries ``img_path`` and ``depth_map_path``, which mmseg's ``LoadDepthAnnotation``
    (``depth_rescale_factor=1e-3``: millimetres to metres) reads into ``gt_depth_map``.

    Args:
        split: ``'train'`` or ``'test'``. Defaults to ``'train'``.
        data_prefix: Overrides the folders (``img_path``, ``depth_map_path``, relative to ``data_root``).
        img_suffix: Suffix of images. Defaults to ``'.png'``.
        depth_map_suffix: Suffix of depth maps. Defaults to ``'.png'``.
        **kwargs: The other arguments of :class:`mmseg.datasets.BaseSegDataset`.
    """

    METAINFO = dict(classes=('depth', ), palette=[[255, 255, 255]])

    def __init__(self, split: str = 'train', data_prefix: dict | None = None, img_suffix: str = '.png',
                 depth_map_suffix: str = '.png', **kwargs: Any) -> None:
        if split not in SPLITS:
            raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
        self.split = split
        self.depth_map_suffix = depth_map_suffix
        if data_prefix is None:
            data_prefix = dict(img_path=f'images/{split}', depth_map_path=f'depths/{split}')
        super().__init__(data_prefix=data_prefix, img_suffix=img_suffix, **kwargs)

    def load_data_list(self) -> list[dict]:
        """One data info per image; both folders and every image's depth map must exist."""
        folders = {key: self.data_prefix.get(key) for key in ('img_path', 'depth_map_path')}
        for key, folder in folders.items():
            if not folder or not osp.isdir(folder):
                raise FileNotFoundError(f'{folder}: NYUv2 depth folder ({key}) not found; prepare NYUv2 from '
                                        'nyu_depth_v2_labeled.mat (tools/prepare_nyuv2_normals.py), which writes '
                                        'depths/ beside images/')
        data_list = []
        for name in sorted(fileio.list_dir_or_file(folders['img_path'], list_dir=False, suffix=self.img_suffix,
                                                   recursive=False, backend_args=self.backend_args)):
            depth = osp.join(folders['depth_map_path'], name[:-len(self.img_suffix)] + self.depth_map_suffix)
            if not osp.isfile(depth):
                raise FileNotFoundError(f'{depth}: missing for image {osp.join(folders["img_path"], name)}')
            data_list.append(dict(img_path=osp.join(folders['img_path'], name), depth_map_path=depth,
                                  label_map=self.label_map, reduce_zero_label=False, seg_fields=[]))
        if not data_list:
            raise FileNotFoundError(f'{folders["img_path"]}: no *{self.img_suffix} images')
        return data_list
