"""NYUv2 surface normals (Ladicky et al. ground truth) as an mmseg dataset."""
from __future__ import annotations

import os.path as osp
from typing import Any

import mmengine.fileio as fileio
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from ..normal_cluster_file import load_normal_clusters

SPLITS = ('train', 'test')


@DATASETS.register_module()
class NYUv2NormalsDataset(BaseSegDataset):
    """NYUv2 surface-normal estimation: RGB images, unit-normal maps and validity masks.

    ``tools/prepare_nyuv2_normals.py`` writes this layout from the FAIR release the paper's code used
    (see :mod:`mmssl_transfer.datasets.nyuv2_release`); ``tools/compute_normal_clusters.py`` adds the
    k-means cluster centres of the train normals. The file structure is:

    .. code-block:: none

        ├── data
        │   ├── nyuv2_normals
        │   │   ├── images
        │   │   │   ├── train
        │   │   │   │   ├── 000003.png        (RGB, 8-bit)
        │   │   │   │   ├── ...               (795 images)
        │   │   │   ├── test                  (654 images)
        │   │   ├── normals
        │   │   │   ├── train
        │   │   │   │   ├── 000003.png        (x, y, z as 16-bit R, G, B; or float32 .npy)
        │   │   │   ├── test
        │   │   ├── masks
        │   │   │   ├── train
        │   │   │   │   ├── 000003.png        (8-bit, non-zero = valid ground truth)
        │   │   │   ├── test
        │   │   ├── normal_clusters_k40.npy   (k-means centres of the train normals, 40 x 3)

    Each data info carries ``img_path``, ``normal_path`` and ``mask_path``; the pipeline's
    ``LoadNormalAnnotation`` reads the normals into ``gt_normal_map`` and the mask into ``gt_seg_map``
    (0 = valid, 255 = invalid, so mmseg's crop/flip/padding handle it like any label map). The metainfo holds
    the cluster centres under ``normal_clusters`` when ``cluster_file`` exists.

    Args:
        split: ``'train'`` or ``'test'``; picks the sub-folders. Defaults to ``'train'``.
        data_prefix: Overrides the folders (``img_path``, ``normal_path``, ``mask_path``, relative to
            ``data_root``). Defaults to the ``split`` sub-folders of ``images``, ``normals`` and ``masks``.
        img_suffix: Suffix of images. Defaults to ``'.png'``.
        normal_suffix: Suffix of normal maps, ``'.png'`` or ``'.npy'``. Defaults to ``'.png'``.
        mask_suffix: Suffix of masks. Defaults to ``'.png'``.
        cluster_file: Cluster-centre file relative to ``data_root`` (None: none). Defaults to
            ``'normal_clusters_k40.npy'``.
        **kwargs: The other arguments of :class:`mmseg.datasets.BaseSegDataset`.
    """

    METAINFO = dict(classes=('normal_x', 'normal_y', 'normal_z'), palette=[[255, 0, 0], [0, 255, 0], [0, 0, 255]])

    def __init__(self,
                 split: str = 'train',
                 data_prefix: dict | None = None,
                 img_suffix: str = '.png',
                 normal_suffix: str = '.png',
                 mask_suffix: str = '.png',
                 cluster_file: str | None = 'normal_clusters_k40.npy',
                 **kwargs: Any) -> None:
        if split not in SPLITS:
            raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
        self.split = split
        self.normal_suffix = normal_suffix
        self.mask_suffix = mask_suffix
        self.cluster_file = cluster_file
        if data_prefix is None:
            data_prefix = dict(img_path=f'images/{split}', normal_path=f'normals/{split}',
                               mask_path=f'masks/{split}')
        super().__init__(data_prefix=data_prefix, img_suffix=img_suffix, seg_map_suffix=mask_suffix, **kwargs)

    def load_data_list(self) -> list[dict]:
        """One data info per image; every folder and every image's normal map and mask must exist."""
        folders = {key: self.data_prefix.get(key) for key in ('img_path', 'normal_path', 'mask_path')}
        for key, folder in folders.items():
            if not folder or not osp.isdir(folder):
                raise FileNotFoundError(f'{folder}: NYUv2 normals folder ({key}) not found; expected the layout '
                                        'of NYUv2NormalsDataset (run tools/prepare_nyuv2_normals.py)')
        self._load_clusters()
        data_list = []
        for name in sorted(fileio.list_dir_or_file(folders['img_path'], list_dir=False, suffix=self.img_suffix,
                                                   recursive=False, backend_args=self.backend_args)):
            stem = name[:-len(self.img_suffix)]
            info = dict(img_path=osp.join(folders['img_path'], name),
                        normal_path=osp.join(folders['normal_path'], stem + self.normal_suffix),
                        mask_path=osp.join(folders['mask_path'], stem + self.mask_suffix),
                        label_map=self.label_map, reduce_zero_label=False, seg_fields=[])
            for key in ('normal_path', 'mask_path'):
                if not osp.isfile(info[key]):
                    raise FileNotFoundError(f'{info[key]}: missing for image {info["img_path"]}')
            data_list.append(info)
        if not data_list:
            raise FileNotFoundError(f'{folders["img_path"]}: no *{self.img_suffix} images')
        return data_list

    def _load_clusters(self) -> None:
        if self.cluster_file is None:
            return
        path = self.cluster_file if osp.isabs(self.cluster_file) or not self.data_root else osp.join(
            self.data_root, self.cluster_file)
        self._metainfo['normal_clusters_file'] = path
        if osp.isfile(path):
            self._metainfo['normal_clusters'] = load_normal_clusters(path).tolist()
