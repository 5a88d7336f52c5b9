"""mmseg ``EncoderDecoder`` whose predictions are surface normals."""
from __future__ import annotations

from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from torch import Tensor

#: flip direction of a test image -> normal components that change sign when undoing it.
NEGATED_ON_UNFLIP = {'horizontal': (0,), 'vertical': (1,)}


@MODELS.register_module()
class NormalEncoderDecoder(EncoderDecoder):
    """``EncoderDecoder`` that adds ``pred_normal_map`` (3xHxW unit normals at the original image size).

    mmseg's post-processing removes padding, undoes a test-time flip of the logits and resizes them to the
    original shape; the decode head (e.g. :class:`NormalPSPHead`) then turns the logits into normals, and the
    x (or y) component is negated where the image was flipped, because mirroring the pixels also mirrors the
    vectors. Training is unchanged.
    """

    def postprocess_result(self, seg_logits: Tensor, data_samples: list | None = None) -> list:
        data_samples = super().postprocess_result(seg_logits, data_samples)
        for sample in data_samples:
            normals = self.decode_head.logits_to_normals(sample.seg_logits.data[None])[0]
            if sample.metainfo.get('flip', False):
                for component in NEGATED_ON_UNFLIP[sample.metainfo.get('flip_direction', 'horizontal')]:
                    normals[component] = -normals[component]
            sample.set_data({'pred_normal_map': PixelData(data=normals)})
        return data_samples
