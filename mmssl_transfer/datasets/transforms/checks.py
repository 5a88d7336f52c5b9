"""Pipeline checks that turn a silently broken annotation into one error naming the files."""
from __future__ import annotations

from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from mmssl_transfer.errors import InputError


class SegMapSizeError(InputError):
    """A label map and its image differ in size (a broken or mismatched annotation)."""


@TRANSFORMS.register_module()
class CheckSegMapSize(BaseTransform):
    """Fail when a loaded label map (``gt_seg_map``) and its image, as loaded, differ in size.

    Place it right after ``LoadAnnotations``: in training before any resize or crop (mmseg would otherwise
    resize or crop the two independently and train on misaligned labels); in a test pipeline that loads the
    labels after resizing the image, it compares them with the image's original size (``ori_shape``).
    """

    def transform(self, results: dict) -> dict:
        img_hw = tuple(results.get('ori_shape') or results['img'].shape[:2])[:2]
        seg_hw = tuple(results['gt_seg_map'].shape[:2])
        if img_hw != seg_hw:
            raise SegMapSizeError(f'{results.get("seg_map_path")}: label map size {seg_hw} (HxW) differs from its '
                                  f'image {results.get("img_path")} {img_hw}')
        return results
