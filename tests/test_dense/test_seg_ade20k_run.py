"""ADE20K UPerNet end to end on CPU: train the (shrunken) byol config from the toy checkpoint, test to result.json.

The config keeps SyncBN in the backbone and the UPerNet head: the run itself shows the automatic BN fallback
off-GPU. The default test is the paper's 5-scale softmax average (SegTTAModel); the single-scale and
multi-scale + flip variants evaluate the same checkpoint and are recorded as variants.
"""
import pickle
from pathlib import Path

import numpy as np
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
    # the shrunken config is not the paper's protocol: the record names what it changed
    assert result.paper_protocol is False and result.hparams['variant'].startswith('cfg:')
    assert result.hparams['total_batch_size'] == 4


def paper_test_size(height: int, width: int, short: int, max_long: int, divisor: int) -> tuple[int, int]:
    """ssl-transfer@416913f semantic-segmentation/mit_semseg/dataset.py L227-233 (ValDataset): scale the short
    side to ``short`` (long side <= ``max_long``), truncate, round each side UP to a multiple of ``divisor``."""
    scale = min(short / float(min(height, width)), max_long / float(max(height, width)))
    th, tw = int(height * scale), int(width * scale)
    return ((th - 1) // divisor + 1) * divisor, ((tw - 1) // divisor + 1) * divisor


def test_default_test_is_the_softmax_average_over_five_scales_without_flip(seg_run, toy_ade20k, tmp_path):
    """eval_multipro.py L56-67: for each of cfg.DATASET.imgSizes the image, resized by dataset.py's rule with PIL
    bilinear (L236), goes through the model, whose logits are upsampled to the label size and softmaxed
    (models.py L578-582); the softmaxes are averaged and the argmax is the prediction. Recomputed here by hand
    on the toy model (the shrunken config keeps 5 scales: TOY_TEST_SHORT_SIDES) and compared with tools/test.py's
    default run, prediction by prediction and in the metrics."""
    import mmcv
    from mmengine.runner import load_checkpoint
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    from PIL import Image

    from .conftest import TOY_TEST_SHORT_SIDES
    work_dir, config = seg_run
    preds = tmp_path / 'preds.pkl'
    cfg = load_config(str(config), work_dir=str(tmp_path), data_root=str(toy_ade20k),
                      load_from=str(work_dir / 'iter_2.pth'))
    assert cfg.test_time_aug is True
    apis.test(cfg, out=str(preds))
    result = read_result(tmp_path / 'result.json')
    dumped = {Path(p['img_path']).name: p['pred_sem_seg']['data'][0] for p in pickle.loads(preds.read_bytes())}

    model = MODELS.build(cfg.model)
    load_checkpoint(model, str(work_dir / 'iter_2.pth'), map_location='cpu')
    model.eval()
    mean = torch.tensor(cfg.model.data_preprocessor.mean).view(3, 1, 1)
    std = torch.tensor(cfg.model.data_preprocessor.std).view(3, 1, 1)
    intersect, union, correct, labelled = np.zeros(150), np.zeros(150), 0, 0
    images = sorted((toy_ade20k / 'images' / 'validation').glob('*.jpg'))
    assert len(images) == len(dumped) == 2
    for image_path in images:
        bgr = mmcv.imread(str(image_path))
        height, width = bgr.shape[:2]
        probs = 0
        for short in TOY_TEST_SHORT_SIDES:
            th, tw = paper_test_size(height, width, short, 100, 32)
            resized = np.asarray(Image.fromarray(bgr).resize((tw, th), Image.BILINEAR))
            x = (torch.from_numpy(resized[..., ::-1].copy()).permute(2, 0, 1).float() - mean) / std
            meta = dict(img_shape=(th, tw), ori_shape=(height, width), pad_shape=(th, tw), padding_size=[0] * 4)
            with torch.no_grad():
                logits = model.predict(x[None], [SegDataSample(metainfo=meta)])[0].seg_logits.data
            probs = probs + logits.softmax(dim=0)
        pred = (probs / len(TOY_TEST_SHORT_SIDES)).argmax(dim=0)
        assert torch.equal(pred, dumped[image_path.name])
        label = np.asarray(Image.open(toy_ade20k / 'annotations' / 'validation' / image_path.with_suffix('.png').name))
        label = label.astype(np.int64) - 1  # reduce_zero_label: 0 ('other') ignored
        valid = label >= 0
        pred = pred.numpy()
        intersect += np.bincount(label[valid & (pred == label)], minlength=150)[:150]
        union += (np.bincount(label[valid], minlength=150) + np.bincount(pred[valid], minlength=150))[:150]
        correct, labelled = correct + int((pred[valid] == label[valid]).sum()), labelled + int(valid.sum())
    union -= intersect
    with np.errstate(invalid='ignore'):
        miou = np.nanmean(intersect / union) * 100
    # IoUMetric reports percentages rounded to 2 decimals
    assert result.metrics['mIoU'] == pytest.approx(round(miou, 2), abs=1e-5)
    assert result.metrics['aAcc'] == pytest.approx(round(100 * correct / labelled, 2), abs=1e-5)


@pytest.mark.parametrize('variant, views', [('single-scale', 1), ('ms-flip', 10)])
def test_test_time_variants_evaluate_the_same_checkpoint_and_are_recorded(seg_run, toy_ade20k, tmp_path, variant,
                                                                          views):
    work_dir, config = seg_run
    cfg = load_config(str(config), work_dir=str(tmp_path), data_root=str(toy_ade20k),
                      load_from=str(work_dir / 'iter_2.pth'), variants=[variant])
    tested = apis.runs.with_test_time_aug(cfg) if cfg.test_time_aug else cfg
    pipeline = tested.test_dataloader.dataset.pipeline
    if views == 1:
        assert tested.model.type == 'EncoderDecoder' and 'TestTimeAug' not in [t.type for t in pipeline]
    else:
        assert tested.model.type == 'SegTTAModel'
        assert np.prod([len(t) for t in pipeline[1].transforms]) == views  # 5 scales x (no flip, flip)
    result = apis.test(cfg)
    assert 0.0 <= result.metrics['mIoU'] <= 100.0
    assert result.hparams['variant'].startswith(f'{variant}+cfg:') and result.paper_protocol is False


def test_512x512_160k_variant_is_mmsegs_recipe_on_any_method_config():
    from mmssl_transfer.apis.variants import load_with_variants
    cfg = load_with_variants(REPO / 'configs' / 'seg' / 'byol_upernet_ade20k.py', ['mmseg-512x512-160k'])
    assert cfg.model.data_preprocessor.size == (512, 512) and cfg.model.data_preprocessor.size_divisor is None
    assert cfg.train_cfg.max_iters == 160000 and cfg.train_dataloader.batch_size == 16
    assert cfg.transfer_task.total_batch_size == 16 and cfg.transfer_task.variant == 'mmseg-512x512-160k'
    assert cfg.model.auxiliary_head.loss_decode.loss_weight == 0.4 and cfg.test_time_aug is False
    assert cfg.model.decode_head.label_downsample == 1 and cfg.model.decode_head.dropout_ratio == 0.1
    assert 'paramwise_cfg' not in cfg.optim_wrapper and cfg.optim_wrapper.optimizer.weight_decay == 5e-4
    assert cfg.model.backbone.method == 'byol'


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
