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
    assert [s['type'] for s in steps] == ['CheckedLoadImageFromFile', 'Resize', 'Resize', 'CenterCrop', 'PackInputs']
    np.testing.assert_array_equal(run_pipeline(steps, xray), paper_fewshot_reference(xray, chestx=True))
    # without the extra resize the pixels differ: the step is not a no-op
    other = run_pipeline(PAPER_FEWSHOT.pipeline(dataset='eurosat'), xray)
    assert not np.array_equal(other, paper_fewshot_reference(xray, chestx=True))


def test_linear_eval_is_short_side_224_bicubic_and_centre_crop(photo):
    assert get_eval_transform('linear_eval') is LINEAR_EVAL
    assert set(EVAL_TRANSFORMS) == {'linear_eval', 'paper_fewshot'}
    assert LINEAR_EVAL.pipeline() == eval_pipeline(224) == [
        dict(type='CheckedLoadImageFromFile', color_type='color_ignore_orientation'),
        dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bicubic'),
        dict(type='CenterCrop', crop_size=224), dict(type='PackInputs')]
    assert LINEAR_EVAL.pipeline(dataset='chestx') == LINEAR_EVAL.pipeline()  # no dataset-specific step
    assert run_pipeline(LINEAR_EVAL.pipeline(), photo).shape == (224, 224, 3)
    with pytest.raises(KeyError, match='paper_fewshot'):
        get_eval_transform('paper')


def test_finetune_pipelines_per_augmentation_and_in_memory():
    train, test = finetune_pipelines('rrc_flip', 32)
    assert [s['type'] for s in train] == ['CheckedLoadImageFromFile', 'RandomResizedCrop', 'RandomFlip', 'PackInputs']
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


@pytest.fixture
def other_format_named_jpg(tmp_path):
    """SUN397 holds files in other formats under .jpg names; this one (TGA) is one that cv2 cannot decode."""
    pixels = np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    path = tmp_path / 'sun_tga.jpg'
    Image.fromarray(pixels).save(path, format='TGA')
    return path


def test_sun397_is_decoded_with_pillow_and_reads_a_non_jpeg_named_jpg(other_format_named_jpg):
    from mmssl_transfer.datasets.classification import ImageDecodeError
    from mmssl_transfer.datasets.classification.pipelines import load_step
    assert load_step('sun397') == dict(type='CheckedLoadImageFromFile', color_type='color_ignore_orientation',
                                       imdecode_backend='pillow')
    assert LINEAR_EVAL.pipeline(dataset='sun397')[0] == load_step('sun397')
    assert finetune_pipelines('rrc_flip', 32, dataset='sun397')[0][0] == load_step('sun397')
    reference = np.asarray(Image.open(other_format_named_jpg).convert('RGB'))
    steps = [load_step('sun397'), dict(type='PackInputs')]
    np.testing.assert_array_equal(run_pipeline(steps, other_format_named_jpg), reference)
    # cv2 (every other dataset) cannot read it: one error that names the file and the decoder
    with pytest.raises(ImageDecodeError, match=rf'^{other_format_named_jpg}: cannot be decoded as an image with cv2'):
        run_pipeline([load_step('dtd'), dict(type='PackInputs')], other_format_named_jpg)


def test_an_undecodable_file_is_one_error_naming_it_even_from_a_loader_worker(tmp_path):
    """Raised in a data-loader worker, the error reaches the main process as the same one-line message."""
    import torch

    from mmssl_transfer.datasets.classification import ImageDecodeError, build_cls_dataset
    from mmssl_transfer.datasets.classification.pipelines import load_step
    from mmssl_transfer.toy.classification import make_toy_classification
    root = make_toy_classification(tmp_path, datasets=('sun397',), num_classes=2) / 'sun397'
    broken = sorted((root / 'SUN397').rglob('*.jpg'))[0]
    broken.write_bytes(b'\xff\xd8\xff\xe0 not really a JPEG')
    steps = [load_step('sun397'), dict(type='PackInputs')]
    dataset = build_cls_dataset('sun397', str(root), 'trainval', pipeline=steps)
    loader = torch.utils.data.DataLoader(dataset, batch_size=4, num_workers=1, collate_fn=lambda batch: batch)
    with pytest.raises(ImageDecodeError) as err:
        list(loader)
    assert str(err.value).startswith(f'{broken}: cannot be decoded as an image with pillow (')
    assert len(str(err.value).splitlines()) == 1
