"""The fixed, recorded image set of the feature-property analyses and its two views of each image.

The paper shows one image per recognition dataset (Figs. 8-9: 15 datasets) and does not say how they were picked
nor what the Table 9 averages run over. Here: the first ``per_dataset`` images, in the dataset's own order, of its
test split (CD-FSL sets: their single split), with their ids written into the result. Each image is loaded through
the dataset's own pipeline (mmcv loading as the probes do) and resized twice:

* the reconstruction target: shorter side 256 (PIL bilinear, torchvision ``Resize``'s default), centre crop 224;
* the saliency input: shorter side 242 (PIL bicubic), centre crop 242.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
from mmengine.registry import DefaultScope

from mmssl_transfer.datasets.classification import (CDFSL_DATASETS, MANY_SHOT_DATASETS, build_cls_dataset,
                                                    get_cls_dataset)
from mmssl_transfer.datasets.classification.pipelines import EvalTransform

#: The paper's 15 recognition datasets (11 many-shot + 4 CD-FSL), one image each in Figs. 8-9.
RECOGNITION_DATASETS: tuple[str, ...] = MANY_SHOT_DATASETS + CDFSL_DATASETS


@dataclass
class PropertyImage:
    """One image of the set in both views, 8-bit RGB ``(3, S, S)``.

    Attributes:
        dataset: Dataset name.
        index: Position in the dataset's split.
        image_id: The file relative to the dataset root (``split[index]`` for in-memory datasets).
        target: Reconstruction view (``dip_crop`` side).
        saliency: Saliency view (``saliency_size`` side).
    """

    dataset: str
    index: int
    image_id: str
    target: torch.Tensor
    saliency: torch.Tensor


def image_split(dataset: str) -> str:
    """The split images are taken from: ``test``, or a CD-FSL set's only split."""
    entry = get_cls_dataset(dataset)
    return 'test' if entry.many_shot else entry.fewshot_pool[0]


def _view(dataset, index: int, transform: EvalTransform, name: str, in_memory: bool) -> torch.Tensor:
    from mmengine.dataset import Compose
    from mmpretrain.registry import TRANSFORMS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset.pipeline = Compose([TRANSFORMS.build(t) for t in transform.pipeline(in_memory, name)])
    return dataset[index]['inputs'].flip(0).contiguous()  # mmcv loads BGR


def load_images(datasets: Sequence[str], per_dataset: int = 1, data_roots: dict[str, str] | None = None,
                dip_resize: int = 256, dip_crop: int = 224, saliency_size: int = 242) -> list[PropertyImage]:
    """The first ``per_dataset`` images of each dataset's split, in both views."""
    target_view = EvalTransform(resize=dip_resize, crop=dip_crop, interpolation='bilinear')
    saliency_view = EvalTransform(resize=saliency_size, crop=saliency_size, interpolation='bicubic')
    images = []
    for name in datasets:
        root = (data_roots or {}).get(name) or get_cls_dataset(name).data_root
        split = image_split(name)
        dataset = build_cls_dataset(name, root, split)
        in_memory = 'img' in dataset.get_data_info(0)
        for index in range(min(per_dataset, len(dataset))):
            info = dataset.get_data_info(index)
            image_id = (str(Path(info['img_path']).resolve().relative_to(Path(root).resolve()))
                        if 'img_path' in info else f'{split}[{index}]')
            images.append(PropertyImage(name, index, image_id,
                                        _view(dataset, index, target_view, name, in_memory),
                                        _view(dataset, index, saliency_view, name, in_memory)))
    return images
