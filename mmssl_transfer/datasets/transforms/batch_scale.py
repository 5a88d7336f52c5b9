"""One training scale per optimizer batch, drawn from the batch's number: the paper's normals (and ADE20K) loader.

CSAIL's toolkit, which the paper's normals code (ssl-transfer ``surface-normal-estimation/dataset_generic.py``
L208-211) is, draws ONE short side per batch and resizes every image of the batch to it; NYUv2's images are all
480 x 640, so a batch holds images of one size and is not padded. mmcv's ``RandomChoiceResize`` draws per image,
and the data preprocessor pads the batch to its largest image: about 19% of the canvas the decoder trains on
(its BatchNorm statistics and pyramid pooling) is then padding that the unpadded test images never have.

:class:`BatchRandomChoiceResize` draws the scale from ``(seed, draw // draws_per_batch)`` of the sample's
:class:`~mmssl_transfer.datasets.samplers.NumberedDraw`. With ``draws_per_batch`` = the total batch, the draws
of one optimizer step (consecutive in mmengine's global stream, whatever the number of processes or accumulated
micro-batches) share one scale, on 1 or N processes alike. Without a numbered draw (another sampler) it draws per
image, as ``RandomChoiceResize``.
"""
from __future__ import annotations

import numpy as np
from mmcv.transforms import RandomChoiceResize
from mmseg.registry import TRANSFORMS

from ..samplers.numbered_draws import NumberedDraw, draw_seed


def batch_scale_index(draw: int, seed: int, draws_per_batch: int, num_scales: int) -> int:
    """Index of the scale of the batch holding global draw ``draw`` (the same for every draw of that batch)."""
    return int(np.random.RandomState(draw_seed(seed, draw // draws_per_batch)).randint(num_scales))


@TRANSFORMS.register_module()
class BatchRandomChoiceResize(RandomChoiceResize):
    """mmcv's ``RandomChoiceResize`` with one choice per batch of ``draws_per_batch`` consecutive draws.

    Args:
        draws_per_batch: Images per optimizer step over all processes (the protocol's total batch).
        scales / resize_type / **resize_kwargs: As ``RandomChoiceResize``.
    """

    def __init__(self, scales, draws_per_batch: int, resize_type: str = 'Resize', **resize_kwargs) -> None:
        super().__init__(scales, resize_type=resize_type, **resize_kwargs)
        if draws_per_batch < 1:
            raise ValueError(f'draws_per_batch must be >= 1, got {draws_per_batch}')
        self.draws_per_batch = draws_per_batch

    def transform(self, results: dict) -> dict:
        index = results.get('sample_idx')
        if not isinstance(index, NumberedDraw):
            return super().transform(results)
        scale_idx = batch_scale_index(index.draw, index.seed, self.draws_per_batch, len(self.scales))
        self.resize.scale = self.scales[scale_idx]
        results = self.resize(results)
        results['scale_idx'] = scale_idx
        return results
