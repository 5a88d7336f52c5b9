"""Resizing a metric depth map in mmseg pipelines whose images are resized with PIL (as the normals task's).

mmcv's pillow backend takes uint8 maps only, and mmseg's ``LoadDepthAnnotation`` gives a float32 map in metres
(listed in ``seg_fields``); :class:`DepthResize` resizes it by nearest neighbour (no blending of a wall's depth
with the floor behind an edge) with the same pixel choice PIL makes for the image's label maps.
"""
from __future__ import annotations

from mmcv.transforms import Resize as MMCVResize
from mmseg.registry import TRANSFORMS

from .normals import resize_nearest

DEPTH_KEY = 'gt_depth_map'


@TRANSFORMS.register_module()
class DepthResize(MMCVResize):
    """mmcv's ``Resize`` that also resizes ``gt_depth_map`` (float, metres) by nearest neighbour, any backend.

    Use it directly or as ``resize_type='DepthResize'`` of ``RandomChoiceResize``; arguments as mmcv's ``Resize``.
    """

    def transform(self, results: dict) -> dict:
        depth = results.pop(DEPTH_KEY, None)
        results = super().transform(results)
        if depth is not None:
            height, width = results['img_shape'][:2]
            results[DEPTH_KEY] = resize_nearest(depth[..., None], (width, height), self.backend).reshape(height, width)
        return results
