"""The image pipelines of the recognition protocols, written once (mmpretrain transform configs).

Named evaluation transforms (:data:`EVAL_TRANSFORMS`), deterministic, applied to every image before a frozen
backbone or a finetuned model is scored:

* ``linear_eval``: resize the shorter side to 224 (bicubic, PIL), centre crop 224. The paper's linear probe and
  finetune test transform; the few-shot probe's ``--transform linear_eval`` variant.
* ``paper_fewshot``: what the paper's few-shot code (CD-FSL's ``TransformLoader``) does: resize to 257 x 257
  (bilinear, torchvision's default, aspect ratio squashed), centre crop 224; ChestX images are first resized to
  256 x 256 as CD-FSL's ChestX loader does (``Image.resize`` with PIL's default filter, bicubic since Pillow 7).
  The few-shot probe's default.

Finetune training augmentations (:data:`FINETUNE_AUGMENTATIONS`): ``rrc_flip`` (RandomResizedCrop 224,
bicubic, + horizontal flip; the paper's default) or ``center_crop`` (the evaluation transform; the paper's
``--no-da``).

Images are read with ``CheckedLoadImageFromFile`` (mmcv's ``LoadImageFromFile`` that names a file it cannot
decode, :mod:`.loading`), decoded with cv2, except SUN397's, decoded with Pillow: SUN397 holds files that are not
JPEGs under ``.jpg`` names, which cv2 cannot read (mmpretrain's SUN397 docs give the same advice; the paper's
code decodes every image with PIL). Both ignore the EXIF orientation tag, as PIL's ``Image.open`` does
(``color_type='color_ignore_orientation'``; mmcv's default ``'color'`` would rotate such images). Datasets that
decode into memory (CIFAR's python batches) pass ``in_memory=True`` to skip loading. ``configs/_base_/cls/``
holds the same pipelines (a test asserts it).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from ..catalog import CLS_DATASETS

#: Finetune training augmentations: the paper's default (ssl-transfer ``finetune.py`` L338-343), then its ``--no-da``
#: (L352-353, the evaluation transform). A fixed flag there, never selected on val.
FINETUNE_AUGMENTATIONS: tuple[str, ...] = ('rrc_flip', 'center_crop')
#: The loading step of every file-based pipeline.
LOAD_STEP = 'CheckedLoadImageFromFile'
#: Datasets whose images are decoded with Pillow instead of cv2 (the catalog's ``image_decoder``).
PILLOW_DECODED_DATASETS: tuple[str, ...] = tuple(n for n, s in CLS_DATASETS.items() if s.image_decoder == 'pillow')


#: Decode as PIL's ``Image.open(...).convert('RGB')`` (the paper's loaders) does: ignore the EXIF orientation tag,
#: which mmcv's cv2 and Pillow decoders otherwise apply (``mmcv/image/io.py``: ``IMREAD_COLOR`` /
#: ``ImageOps.exif_transpose`` for ``'color'``).
PAPER_COLOR_TYPE = 'color_ignore_orientation'


def load_step(dataset: str | None = None) -> dict:
    """The loading step of ``dataset``'s pipelines (Pillow decoding for :data:`PILLOW_DECODED_DATASETS`), EXIF
    orientation ignored as by the paper's PIL loaders (:data:`PAPER_COLOR_TYPE`)."""
    if dataset in PILLOW_DECODED_DATASETS:
        return dict(type=LOAD_STEP, color_type=PAPER_COLOR_TYPE, imdecode_backend='pillow')
    return dict(type=LOAD_STEP, color_type=PAPER_COLOR_TYPE)


def reads_image_files(pipeline: list[dict]) -> bool:
    """The pipeline starts by loading image files (False: the dataset holds decoded images)."""
    return bool(pipeline) and pipeline[0]['type'] in (LOAD_STEP, 'LoadImageFromFile')


def _load(in_memory: bool, dataset: str | None = None) -> list[dict]:
    return [] if in_memory else [load_step(dataset)]


@dataclass(frozen=True)
class EvalTransform:
    """Resize, then centre crop; every field changes the pixels (so each is part of the feature cache key).

    Attributes:
        resize: Shorter side after resizing (aspect ratio kept), or both sides when ``squash``. Defaults to 224.
        crop: Side of the centre crop. Defaults to 224.
        interpolation: PIL filter of the resize. Defaults to ``'bicubic'``.
        squash: Resize to ``resize`` x ``resize`` whatever the aspect ratio. Defaults to False.
        dataset_resize: ``(dataset, width, height)`` rows: images of that dataset are first resized to
            width x height (PIL bicubic, aspect squashed). Defaults to none.
    """

    resize: int = 224
    crop: int = 224
    interpolation: str = 'bicubic'
    squash: bool = False
    dataset_resize: tuple[tuple[str, int, int], ...] = ()

    def pipeline(self, in_memory: bool = False, dataset: str | None = None) -> list[dict]:
        """The mmpretrain pipeline, from loading (unless ``in_memory``) to ``PackInputs``."""
        steps = _load(in_memory, dataset)
        steps += [dict(type='Resize', scale=(width, height), keep_ratio=False, backend='pillow',
                       interpolation='bicubic') for name, width, height in self.dataset_resize if name == dataset]
        if self.squash:
            steps.append(dict(type='Resize', scale=(self.resize, self.resize), keep_ratio=False, backend='pillow',
                              interpolation=self.interpolation))
        else:
            steps.append(dict(type='ResizeEdge', scale=self.resize, edge='short', backend='pillow',
                              interpolation=self.interpolation))
        return steps + [dict(type='CenterCrop', crop_size=self.crop), dict(type='PackInputs')]


LINEAR_EVAL = EvalTransform()
PAPER_FEWSHOT = EvalTransform(resize=257, crop=224, interpolation='bilinear', squash=True,
                              dataset_resize=(('chestx', 256, 256),))
#: name -> evaluation transform.
EVAL_TRANSFORMS: dict[str, EvalTransform] = {'linear_eval': LINEAR_EVAL, 'paper_fewshot': PAPER_FEWSHOT}
#: name -> the resize of the transform for images of side ``size`` (the crop). The paper's few-shot loader resizes to
#: ``int(image_size * 1.15)`` square (ssl-transfer ``datasets/few_shot_dataset.py`` L158-159, its ``-i`` flag).
RESIZE_AT_SIZE: dict[str, Callable[[int], int]] = {
    'linear_eval': lambda size: size,
    'paper_fewshot': lambda size: int(size * 1.15),
}


def get_eval_transform(name: str, size: int | None = None) -> EvalTransform:
    """The named evaluation transform, at crop side ``size`` when given (default: 224, the protocols' size);
    unknown names list the known ones."""
    try:
        transform = EVAL_TRANSFORMS[name]
    except KeyError:
        raise KeyError(f'unknown evaluation transform {name!r}; known: {sorted(EVAL_TRANSFORMS)}') from None
    if size is None or size == transform.crop:
        return transform
    return replace(transform, resize=RESIZE_AT_SIZE[name](size), crop=size)


def eval_pipeline(size: int = 224, in_memory: bool = False, dataset: str | None = None) -> list[dict]:
    """The ``linear_eval`` pipeline at another size: shorter side to ``size`` (bicubic), centre crop ``size``."""
    return EvalTransform(resize=size, crop=size).pipeline(in_memory, dataset)


def finetune_train_pipeline(aug: str = 'rrc_flip', size: int = 224, in_memory: bool = False,
                            dataset: str | None = None) -> list[dict]:
    """The training pipeline of one finetune augmentation (:data:`FINETUNE_AUGMENTATIONS`)."""
    if aug == 'center_crop':
        return eval_pipeline(size, in_memory, dataset)
    if aug != 'rrc_flip':
        raise ValueError(f'unknown augmentation {aug!r}; known: {FINETUNE_AUGMENTATIONS}')
    return _load(in_memory, dataset) + [
        dict(type='RandomResizedCrop', scale=size, backend='pillow', interpolation='bicubic'),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs')]


def finetune_pipelines(aug: str, size: int = 224, in_memory: bool = False,
                       dataset: str | None = None) -> tuple[list[dict], list[dict]]:
    """(train, val/test) pipelines of a finetune run with augmentation ``aug`` at image size ``size``."""
    return finetune_train_pipeline(aug, size, in_memory, dataset), eval_pipeline(size, in_memory, dataset)
