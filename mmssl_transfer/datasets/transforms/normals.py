"""Transforms that keep surface normals correct through mmseg pipelines.

A normal map is geometry, not a label: a horizontal flip must also negate its x component, and resizing must
not blend neighbouring normals into shorter vectors (nearest neighbour keeps them unit length). The validity
mask travels as ``gt_seg_map`` (0 = valid, 255 = invalid), so mmseg's own crop and padding treat it as an
ignore-labelled map.
"""
from __future__ import annotations

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmcv.transforms import RandomFlip as MMCVRandomFlip
from mmcv.transforms import Resize as MMCVResize
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS

from ..normal_io import check_normal_map, load_normal_map, load_normal_mask, unit_normals

NORMAL_KEY = 'gt_normal_map'
VALID, INVALID = 0, 255


@TRANSFORMS.register_module()
class LoadNormalAnnotation(BaseTransform):
    """Load ``normal_path`` and ``mask_path`` into ``gt_normal_map`` (H, W, 3 float32) and ``gt_seg_map``.

    Valid normals are renormalised to unit length, invalid pixels zeroed; ``gt_seg_map`` is 0 at valid and
    255 at invalid pixels. Fails, naming the file, when the map or mask is unreadable, differs in size from
    the image (``ori_shape``), or holds NaN / zero normals at valid pixels. Adds both keys to ``seg_fields``.
    """

    def transform(self, results: dict) -> dict:
        path = results['normal_path']
        normals = load_normal_map(path)
        valid = load_normal_mask(results['mask_path'])
        image_shape = results.get('ori_shape') or results['img'].shape[:2]
        check_normal_map(normals, valid, path, image_shape=image_shape)
        results[NORMAL_KEY] = unit_normals(normals, valid)
        results['gt_seg_map'] = np.where(valid, VALID, INVALID).astype(np.uint8)
        fields = results.setdefault('seg_fields', [])
        for key in (NORMAL_KEY, 'gt_seg_map'):
            if key not in fields:
                fields.append(key)
        return results


@TRANSFORMS.register_module()
class NormalRandomFlip(MMCVRandomFlip):
    """mmcv's ``RandomFlip`` that also flips ``gt_normal_map`` and mirrors its vectors.

    A horizontal flip negates x, a vertical flip negates y (diagonal: both). Arguments as mmcv's
    ``RandomFlip``.
    """

    #: Direction -> the normal components that change sign.
    NEGATED_COMPONENTS = {'horizontal': (0,), 'vertical': (1,), 'diagonal': (0, 1)}

    def _flip(self, results: dict) -> None:
        normals = results.pop(NORMAL_KEY, None)
        super()._flip(results)
        if normals is None:
            return
        direction = results['flip_direction']
        normals = mmcv.imflip(normals, direction=direction).copy()
        for component in self.NEGATED_COMPONENTS[direction]:
            normals[..., component] *= -1
        results[NORMAL_KEY] = normals


@TRANSFORMS.register_module()
class NormalResize(MMCVResize):
    """mmcv's ``Resize`` that also resizes ``gt_normal_map`` with nearest neighbour (vectors stay unit).

    Use it directly or as ``resize_type='NormalResize'`` of ``RandomResize`` / ``RandomChoiceResize``.
    """

    def transform(self, results: dict) -> dict:
        normals = results.pop(NORMAL_KEY, None)
        results = super().transform(results)
        if normals is not None:
            height, width = results['img_shape'][:2]
            results[NORMAL_KEY] = resize_nearest(normals, (width, height), self.backend)
        return results


def resize_nearest(normals: np.ndarray, size: tuple[int, int], backend: str) -> np.ndarray:
    """(H, W, 3) float map resized to ``size`` (w, h) by nearest neighbour with ``backend``'s pixel choice.

    mmcv's pillow backend takes uint8 images only, so each float channel is resized as a PIL 'F' image: the same
    pixels PIL picks for the label maps (and the paper's code for its cluster-index labels).
    """
    if backend != 'pillow':
        return mmcv.imresize(normals, size, interpolation='nearest', backend=backend)
    from PIL import Image
    channels = [np.asarray(Image.fromarray(np.ascontiguousarray(normals[..., c], dtype=np.float32))
                           .resize(size, Image.NEAREST)) for c in range(normals.shape[-1])]
    return np.stack(channels, axis=-1)


@TRANSFORMS.register_module()
class PackNormalInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` plus ``gt_normal_map`` as a 3xHxW float ``PixelData`` of the data sample."""

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        if NORMAL_KEY in results:
            normals = torch.from_numpy(np.ascontiguousarray(results[NORMAL_KEY].transpose(2, 0, 1)))
            packed['data_samples'].set_data({NORMAL_KEY: PixelData(data=normals)})
        return packed
