"""ADE20K UPerNet end to end on CPU: train the (shrunken) byol config from the toy checkpoint, test to result.json.

The config keeps SyncBN in the backbone and the UPerNet head: the run itself shows the automatic BN fallback
off-GPU. The multi-scale + flip variant evaluates the same checkpoint through SegTTAModel.
"""
from pathlib import Path

import pytest
import torch

from mmssl_transfer import apis
from mmssl_transfer.apis import load_config
from mmssl_transfer.errors import InputError
from mmssl_transfer.results import read_result

from .conftest import REPO, shrink_seg_config


@pytest.fixture(scope='module')
def seg_run(tmp_path_factory, toy_ade20k, byol_toy_checkpoint):
    """Two training iterations of configs/seg/byol_upernet_ade20k.py; returns (work dir, toy config)."""
    work_dir = tmp_path_factory.mktemp('seg')
    config = shrink_seg_config(REPO / 'configs' / 'seg' / 'byol_upernet_ade20k.py', work_dir / 'toy_seg.py')
    apis.train(load_config(str(config), work_dir=str(work_dir), data_root=str(toy_ade20k),
                           checkpoint=str(byol_toy_checkpoint)))
    return work_dir, config


def test_training_finetunes_the_whole_backbone(seg_run, byol_toy_checkpoint):
    from mmssl_transfer.checkpoints import convert
    work_dir, _ = seg_run
    state = torch.load(work_dir / 'iter_2.pth', map_location='cpu', weights_only=False)['state_dict']
    pretrained = convert(byol_toy_checkpoint, method='byol').state_dict
    assert not torch.equal(state['backbone.conv1.weight'], pretrained['conv1.weight'])
    assert not torch.equal(state['backbone.layer1.0.bn1.running_mean'], pretrained['layer1.0.bn1.running_mean'])
    assert state['decode_head.conv_seg.weight'].shape[0] == 150


def test_test_writes_miou_and_pixel_accuracy_to_result_json(seg_run, toy_ade20k, tmp_path):
    work_dir, config = seg_run
    apis.test(load_config(str(config), work_dir=str(tmp_path), data_root=str(toy_ade20k),
                          load_from=str(work_dir / 'iter_2.pth')))
    result = read_result(tmp_path / 'result.json')
    assert (result.task, result.dataset, result.protocol, result.primary_metric) == (
        'seg', 'ade20k', 'finetune', 'mIoU')
    assert {'mIoU', 'aAcc', 'mAcc'} <= set(result.metrics)
    assert all(0.0 <= result.metrics[k] <= 100.0 for k in ('mIoU', 'aAcc'))
    assert result.method == 'byol' and len(result.checkpoint_sha256) == 64


def test_multi_scale_flip_variant_evaluates_the_same_checkpoint(seg_run, toy_ade20k, tmp_path):
    work_dir, config = seg_run
    variant = (REPO / 'configs' / 'seg' / 'byol_upernet_ade20k_ms_flip.py').read_text()
    tta_config = Path(config).with_name('toy_seg_ms_flip.py')
    tta_config.write_text(variant.replace('./byol_upernet_ade20k.py', f'./{Path(config).name}'))
    cfg = load_config(str(tta_config), work_dir=str(tmp_path), data_root=str(toy_ade20k),
                      load_from=str(work_dir / 'iter_2.pth'))
    assert cfg.model.type == 'SegTTAModel' and cfg.test_dataloader.dataset.pipeline[1].type == 'TestTimeAug'
    apis.test(cfg)
    assert 0.0 <= read_result(tmp_path / 'result.json').metrics['mIoU'] <= 100.0


def test_512x512_160k_variant_builds_with_crop_padding_and_auxiliary_head():
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / 'configs' / '_base_' / 'seg' / 'upernet_r50_ade20k_512x512_160k.py'))
    assert cfg.model.data_preprocessor.size == (512, 512) and cfg.model.data_preprocessor.size_divisor is None
    assert cfg.train_cfg.max_iters == 160000 and cfg.train_dataloader.batch_size == 4
    assert cfg.model.auxiliary_head.loss_decode.loss_weight == 0.4
    paper = Config.fromfile(str(REPO / 'configs' / '_base_' / 'seg' / 'upernet_r50_ade20k.py'))
    assert paper.train_cfg.max_iters == 150000 and paper.train_dataloader.batch_size == 2
    assert paper.optim_wrapper.optimizer.lr == 0.02 and paper.param_scheduler[0].power == 0.9
    assert paper.model.backbone.type == 'SSLResNet' and paper.model.pretrained is None


def test_label_map_of_another_size_than_its_image_fails_naming_the_file(toy_ade20k, tmp_path):
    import shutil

    from mmengine.registry import init_default_scope
    from mmseg.datasets import ADE20KDataset
    from PIL import Image

    import mmssl_transfer.datasets.transforms  # noqa: F401
    root = tmp_path / 'ade'
    shutil.copytree(toy_ade20k, root)
    label = root / 'annotations' / 'training' / 'ADE_train_00000002.png'
    Image.open(label).resize((30, 20)).save(label)
    init_default_scope('mmseg')
    dataset = ADE20KDataset(data_root=str(root), data_prefix=dict(img_path='images/training',
                                                                  seg_map_path='annotations/training'),
                            pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                                      dict(type='CheckSegMapSize')])
    dataset[0]
    with pytest.raises(InputError, match='ADE_train_00000002.png.*differs'):
        dataset[1]


def test_missing_ade20k_folder_fails_naming_it(tmp_path):
    from mmengine.registry import init_default_scope
    from mmseg.datasets import ADE20KDataset
    init_default_scope('mmseg')
    with pytest.raises(FileNotFoundError, match='images/training'):
        ADE20KDataset(data_root=str(tmp_path), data_prefix=dict(img_path='images/training',
                                                                seg_map_path='annotations/training'))
