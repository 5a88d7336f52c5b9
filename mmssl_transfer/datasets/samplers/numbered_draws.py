"""Random augmentation that does not depend on the number of processes: each draw of a sample seeds its own.

mmengine's ``InfiniteSampler`` draws one global stream of dataset indices (a seeded permutation per pass) and
gives process ``r`` of ``W`` the draws ``r, r + W, r + 2W, ...``: on 1 or N processes an optimizer step sees the
same images. Their random augmentation does not follow: each process (and each data-loader worker) draws crops
and flips from its own random stream, so a 2-process finetune saw other crops than a 1-process one.

:class:`NumberedDrawSampler` yields each index as a :class:`NumberedDraw`, an ``int`` that also carries its
position in the global stream and the sampler's seed (datasets index with it as with any int, and mmengine's
``BaseDataset`` keeps it as the sample's ``sample_idx``). :class:`SeedByDraw`, the first step of a training
pipeline, seeds numpy's and Python's random generators from (seed, draw), so the n-th
image of the run gets the same crop and flip on any number of processes and data-loader workers, with or without
gradient accumulation. :func:`~mmssl_transfer.engine.batch_split.apply_total_batch` puts both in every training
config whose loader uses ``InfiniteSampler`` over a dataset with its own pipeline (not the VOC07+12
``ConcatDataset``, whose inner index drops the draw).
"""
from __future__ import annotations

import random
from typing import Any, Iterator

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.dataset import InfiniteSampler
from mmengine.registry import DATA_SAMPLERS, TRANSFORMS


class NumberedDraw(int):
    """A dataset index that knows its position in the global stream of draws and the sampler's seed."""

    draw: int
    seed: int

    def __new__(cls, index: int, draw: int, seed: int) -> 'NumberedDraw':
        obj = super().__new__(cls, index)
        obj.draw, obj.seed = draw, seed
        return obj

    def __reduce__(self) -> tuple[Any, tuple[int, int, int]]:  # data-loader workers receive it pickled
        return NumberedDraw, (int(self), self.draw, self.seed)

    def __repr__(self) -> str:
        return f'NumberedDraw(index={int(self)}, draw={self.draw}, seed={self.seed})'


@DATA_SAMPLERS.register_module()
class NumberedDrawSampler(InfiniteSampler):
    """mmengine's ``InfiniteSampler`` (same indices, same split over processes) yielding :class:`NumberedDraw`."""

    def _indices_of_rank(self) -> Iterator[int]:
        for draw, index in enumerate(self._infinite_indices()):
            if draw % self.world_size == self.rank:
                yield NumberedDraw(index, draw, self.seed)


def draw_seed(seed: int, draw: int) -> int:
    """A 32-bit seed for one draw, independent across draws and seeds (numpy's SeedSequence mixing)."""
    return int(np.random.SeedSequence([seed, draw]).generate_state(1)[0])


@TRANSFORMS.register_module()
class SeedByDraw(BaseTransform):
    """Seed numpy's and Python's random generators from the sample's :class:`NumberedDraw`; a pipeline's first step.

    Every later random step of the pipeline (mmcv's, mmseg's and mmpretrain's transforms draw from these two
    generators) then depends on the draw only. The generators are those of the data-loading process (a worker,
    or the main process with ``num_workers=0``), which draws nothing else from them during training: models draw
    from torch's generator, which is left alone. Without a numbered draw (another sampler) it does nothing.
    """

    def transform(self, results: dict) -> dict:
        index = results.get('sample_idx')
        if isinstance(index, NumberedDraw):
            seed = draw_seed(index.seed, index.draw)
            np.random.seed(seed)
            random.seed(seed)
        return results
