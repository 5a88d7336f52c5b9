"""Images are decoded as the paper's loaders decode them: PIL's ``Image.open(...).convert('RGB')`` ignores the EXIF
orientation tag (ssl-transfer ``datasets/*.py`` and torchvision's ``pil_loader``; ``surface-normal-estimation/
dataset_generic.py`` L232 scipy ``imread`` = PIL; ``semantic-segmentation/mit_semseg/dataset.py`` ``Image.open``),
where mmcv's decoders apply it. Detection keeps it applied, as detectron2's ``read_image`` does
(``detectron2/data/detection_utils.py`` ``_apply_exif_orientation``)."""
import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import TRANSFORMS
from PIL import Image

from mmssl_transfer.datasets.catalog import CLS_DATASETS
from mmssl_transfer.datasets.classification.pipelines import EVAL_TRANSFORMS, finetune_pipelines, load_step
from mmssl_transfer.project_files import configs_dir

ROTATE_90_CW = 6  # EXIF Orientation: the stored pixels are shown rotated 90 degrees clockwise


@pytest.fixture
def rotated_jpeg(tmp_path):
    """A 24 x 16 (w x h) JPEG whose EXIF orientation tag says "rotate 90 degrees" (Pillow writes the tag)."""
    rng = np.random.default_rng(0)
    pixels = np.kron(rng.integers(0, 256, (4, 6, 3)), np.ones((4, 4, 1))).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = ROTATE_90_CW
    path = tmp_path / 'rotated.jpg'
    Image.fromarray(pixels).save(path, quality=95, exif=exif)
    with Image.open(path) as im:
        assert im.getexif()[0x0112] == ROTATE_90_CW
        paper = np.asarray(im.convert('RGB'))  # the paper's pil_loader
    return path, paper


@pytest.mark.parametrize('dataset', ['dtd', 'sun397'])  # cv2 and Pillow decoding
def test_recognition_load_step_ignores_the_exif_orientation_as_pil(rotated_jpeg, dataset):
    path, paper = rotated_jpeg
    with DefaultScope.overwrite_default_scope('mmpretrain'):  # whatever scope an earlier test left current
        img = TRANSFORMS.build(load_step(dataset)).transform({'img_path': str(path)})['img']
    assert img.shape == paper.shape == (16, 24, 3)
    assert np.abs(img[..., ::-1].astype(int) - paper).mean() < 2  # BGR; cv2's libjpeg may round differently
    # mmcv's default decode rotates it: the case this step exists for
    assert LoadImageFromFile().transform({'img_path': str(path)})['img'].shape == (24, 16, 3)


def _load_steps(pipeline):
    """The loading steps of a pipeline, TestTimeAug's nested lists of transforms included."""
    for step in pipeline:
        if isinstance(step, list):
            yield from _load_steps(step)
        elif step['type'].endswith('LoadImageFromFile'):
            yield step
        else:
            yield from _load_steps(step.get('transforms', []))


def test_every_recognition_and_dense_pipeline_ignores_the_orientation_and_detection_applies_it():
    steps = [load_step(name) for name in CLS_DATASETS]
    steps += [s for t in EVAL_TRANSFORMS.values() for name in CLS_DATASETS for s in t.pipeline(False, name)[:1]]
    steps += [p[0] for name in CLS_DATASETS for p in finetune_pipelines('rrc_flip', dataset=name)]
    for path in [*sorted((configs_dir() / '_base_/cls').glob('finetune_*.py')),
                 configs_dir() / '_base_/datasets/ade20k_seg.py', configs_dir() / '_base_/datasets/nyuv2_normals.py']:
        cfg = Config.fromfile(str(path))
        for name in ('train_pipeline', 'test_pipeline', 'tta_pipeline'):
            steps += list(_load_steps(cfg.get(name, [])))
    assert len(steps) > 3 * len(CLS_DATASETS)
    assert all(step['color_type'] == 'color_ignore_orientation' for step in steps), steps
    det = Config.fromfile(str(configs_dir() / '_base_/datasets/voc0712_det.py'))
    det_steps = list(_load_steps(det.train_pipeline)) + list(_load_steps(det.test_pipeline))
    assert det_steps and all(step.get('color_type', 'color') == 'color' for step in det_steps)
