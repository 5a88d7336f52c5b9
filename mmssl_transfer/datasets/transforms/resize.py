"""The test-time resize of CSAIL's segmentation toolkit (the transfer paper's ADE20K and NYUv2-normals evaluation).

The toolkit scales an image so that its short side is ``short_side`` (long side at most ``max_long_side``),
truncates both sides to integers, rounds each UP to a multiple of ``size_divisor`` and resizes once to that size,
so the aspect ratio is stretched by a few pixels instead of padding the image. mmseg's ``Resize`` followed by
``ResizeToMultiple`` would resize twice (two interpolations); this transform resizes once, as the toolkit does.
"""
from __future__ import annotations

import mmcv
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


def short_side_size(height: int, width: int, short_side: int, max_long_side: int, size_divisor: int
                    ) -> tuple[int, int]:
    """(height, width) the toolkit resizes an image to (``ValDataset.__getitem__`` of its ``dataset.py``)."""
    scale = min(short_side / min(height, width), max_long_side / max(height, width))

    def round_up(x: int) -> int:
        return ((x - 1) // size_divisor + 1) * size_divisor

    return round_up(int(height * scale)), round_up(int(width * scale))


@TRANSFORMS.register_module()
class ShortSideResizeToMultiple(BaseTransform):
    """Resize the image to the toolkit's test size (see module doc) with one interpolation.

    Place it before loading annotations: the metric compares predictions resized back to the original size
    (``ori_shape``) with the original labels, as the toolkit does.

    Args:
        short_side: Target short side before rounding.
        max_long_side: Upper bound of the long side before rounding. Defaults to 1000.
        size_divisor: Each side is rounded up to a multiple of it (32 for UPerNet, 8 for the dilated PSPNet).
        interpolation: mmcv interpolation name. Defaults to 'bilinear'.
        backend: mmcv resize backend: 'pillow' (the ADE20K code's PIL resize) or 'cv2' (the normals code's
            ``cv2.resize``). Defaults to 'cv2'.
    """

    def __init__(self, short_side: int, max_long_side: int = 1000, size_divisor: int = 32,
                 interpolation: str = 'bilinear', backend: str = 'cv2') -> None:
        if min(short_side, max_long_side, size_divisor) < 1:
            raise ValueError(f'short_side, max_long_side and size_divisor must be positive, got '
                             f'{short_side}, {max_long_side}, {size_divisor}')
        self.short_side, self.max_long_side, self.size_divisor = short_side, max_long_side, size_divisor
        self.interpolation, self.backend = interpolation, backend

    def transform(self, results: dict) -> dict:
        if results.get('seg_fields'):
            raise ValueError('ShortSideResizeToMultiple resizes the image only: place it before the annotations '
                             f'are loaded (found {results["seg_fields"]})')
        img = results['img']
        height, width = img.shape[:2]
        new_height, new_width = short_side_size(height, width, self.short_side, self.max_long_side,
                                                self.size_divisor)
        results['img'] = mmcv.imresize(img, (new_width, new_height), interpolation=self.interpolation,
                                       backend=self.backend)
        results['img_shape'] = (new_height, new_width)
        results['scale_factor'] = (new_width / width, new_height / height)
        results['keep_ratio'] = False
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(short_side={self.short_side}, max_long_side={self.max_long_side}, '
                f'size_divisor={self.size_divisor}, interpolation={self.interpolation!r}, backend={self.backend!r})')
