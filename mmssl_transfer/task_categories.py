"""Kotar et al.'s (ICCV 2021, ViRB) four end-task categories, one per task of this benchmark.

ViRB sorts its 20 end tasks by what they ask (semantic: what is there; structural: where / how the scene is laid
out) and at what output granularity (one answer per image; one per pixel), and reads every result through these
categories. The table below files each task (``TransferResult.task``) and, where a dataset changes the
category (CLEVR count is image-level but structural), each dataset. A leaf table, to be folded into the one
table of tasks.
"""
from __future__ import annotations

IMAGE_SEMANTIC = 'image-level semantic'
IMAGE_STRUCTURAL = 'image-level structural'
PIXEL_SEMANTIC = 'pixelwise semantic'
PIXEL_STRUCTURAL = 'pixelwise structural'
#: The four categories in ViRB's figure order.
CATEGORIES: tuple[str, ...] = (IMAGE_SEMANTIC, IMAGE_STRUCTURAL, PIXEL_SEMANTIC, PIXEL_STRUCTURAL)

#: task -> category (recognition probes are image-level semantic, as ViRB's classification tasks).
TASK_CATEGORIES: dict[str, str] = {
    'linear': IMAGE_SEMANTIC,
    'finetune': IMAGE_SEMANTIC,
    'fewshot': IMAGE_SEMANTIC,
    'det': PIXEL_SEMANTIC,  # ViRB has no detection; instance segmentation (Pets) is pixelwise semantic
    'seg': PIXEL_SEMANTIC,
    'normals': PIXEL_STRUCTURAL,
    'depth': PIXEL_STRUCTURAL,
}
#: dataset -> category where the dataset, not the task, decides (a count of objects through a recognition probe).
DATASET_CATEGORIES: dict[str, str] = {
    'clevr_count': IMAGE_STRUCTURAL,
}


def category_of(task: str, dataset: str = '') -> str:
    """The category of ``task`` on ``dataset``.

    Raises:
        KeyError: a task the table does not file (the message lists the known ones).
    """
    if dataset in DATASET_CATEGORIES:
        return DATASET_CATEGORIES[dataset]
    try:
        return TASK_CATEGORIES[task]
    except KeyError:
        raise KeyError(f'task {task!r} has no category; known tasks: {sorted(TASK_CATEGORIES)}') from None
