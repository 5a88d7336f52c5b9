"""The named recognition transforms: the paper's few-shot transform equals the torchvision code the paper ran,
pixel for pixel, ChestX's extra resize included; the finetune pipelines are the ones the sweep trains with."""
import numpy as np
import pytest
from PIL import Image

from mmssl_transfer.datasets.classification.pipelines import (EVAL_TRANSFORMS, LINEAR_EVAL, PAPER_FEWSHOT,
                                                              EvalTransform, eval_pipeline, finetune_pipelines,
                                                              get_eval_transform)


def run_pipeline(steps: list[dict], path) -> np.ndarray:
    """Our pipeline through mmpretrain's registry (as the feature extractor builds it), as an RGB HWC array."""
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import TRANSFORMS

    import mmssl_transfer.datasets  # noqa: F401
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose([TRANSFORMS.build(step) for step in steps])
    packed = pipeline(dict(img_path=str(path)))
    return packed['inputs'].numpy()[::-1].transpose(1, 2, 0)  # BGR CHW (mmcv's loading) -> RGB HWC


def paper_fewshot_reference(path, chestx: bool = False) -> np.ndarray:
    """CD-FSL's loaders and TransformLoader as the paper's few-shot code runs them (torchvision on PIL)."""
    from torchvision import transforms
    image = Image.open(path)
    image = image.resize((256, 256)).convert('RGB') if chestx else image.convert('RGB')
    return np.asarray(transforms.Compose([transforms.Resize((257, 257)), transforms.CenterCrop(224)])(image))


@pytest.fixture
def photo(tmp_path):
    """A non-square RGB photo-like image (smooth gradients plus noise), lossless PNG."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:300, 0:410]
    base = np.stack([xx * 255 / 410, yy * 255 / 300, (xx + yy) % 256], axis=-1)
    pixels = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
    path = tmp_path / 'photo.png'
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def xray(tmp_path):
    """A grayscale ('L') image larger than 256 x 256, as ChestX-ray14's PNGs are."""
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:520, 0:480]
    pixels = np.clip(128 + 100 * np.sin(xx / 37.0) * np.cos(yy / 23.0) + rng.normal(0, 15, xx.shape), 0, 255)
    path = tmp_path / 'xray.png'
    Image.fromarray(pixels.astype(np.uint8), mode='L').save(path)
    return path


def test_paper_fewshot_transform_matches_the_papers_torchvision_code(photo):
    ours = run_pipeline(PAPER_FEWSHOT.pipeline(dataset='eurosat'), photo)
    assert ours.shape == (224, 224, 3)
    np.testing.assert_array_equal(ours, paper_fewshot_reference(photo))


def test_paper_fewshot_transform_resizes_chestx_to_256_first_as_cdfsl_does(xray):
    steps = PAPER_FEWSHOT.pipeline(dataset='chestx')
    assert [s['type'] for s in steps] == ['LoadImageFromFile', 'Resize', 'Resize', 'CenterCrop', 'PackInputs']
    np.testing.assert_array_equal(run_pipeline(steps, xray), paper_fewshot_reference(xray, chestx=True))
    # without the extra resize the pixels differ: the step is not a no-op
    other = run_pipeline(PAPER_FEWSHOT.pipeline(dataset='eurosat'), xray)
    assert not np.array_equal(other, paper_fewshot_reference(xray, chestx=True))


def test_linear_eval_is_short_side_224_bicubic_and_centre_crop(photo):
    assert get_eval_transform('linear_eval') is LINEAR_EVAL
    assert set(EVAL_TRANSFORMS) == {'linear_eval', 'paper_fewshot'}
    assert LINEAR_EVAL.pipeline() == eval_pipeline(224) == [
        dict(type='LoadImageFromFile'),
        dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bicubic'),
        dict(type='CenterCrop', crop_size=224), dict(type='PackInputs')]
    assert LINEAR_EVAL.pipeline(dataset='chestx') == LINEAR_EVAL.pipeline()  # no dataset-specific step
    assert run_pipeline(LINEAR_EVAL.pipeline(), photo).shape == (224, 224, 3)
    with pytest.raises(KeyError, match='paper_fewshot'):
        get_eval_transform('paper')


def test_finetune_pipelines_per_augmentation_and_in_memory():
    train, test = finetune_pipelines('rrc_flip', 32)
    assert [s['type'] for s in train] == ['LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip', 'PackInputs']
    assert train[1] == dict(type='RandomResizedCrop', scale=32, backend='pillow', interpolation='bicubic')
    assert test == eval_pipeline(32)
    assert finetune_pipelines('center_crop', 32) == (test, test)
    in_memory, _ = finetune_pipelines('rrc_flip', 32, in_memory=True)
    assert in_memory == train[1:]
    with pytest.raises(ValueError, match='rrc_flip'):
        finetune_pipelines('mixup')


def test_named_transforms_at_another_size_scale_as_the_papers_image_size_flag():
    # ssl-transfer datasets/few_shot_dataset.py L158-159: Scale -> Resize([int(image_size * 1.15)] * 2), then
    # L156-157 CenterCrop(image_size); few_shot.py L220 (-i, default 224) sets image_size
    assert get_eval_transform('paper_fewshot', 224) is PAPER_FEWSHOT and PAPER_FEWSHOT.resize == int(224 * 1.15)
    small = get_eval_transform('paper_fewshot', 32)
    assert (small.resize, small.crop, small.squash, small.interpolation) == (36, 32, True, 'bilinear')
    assert small.dataset_resize == PAPER_FEWSHOT.dataset_resize  # ChestX's 256 x 256 comes first at any size
    assert get_eval_transform('linear_eval', 32) == EvalTransform(resize=32, crop=32)
