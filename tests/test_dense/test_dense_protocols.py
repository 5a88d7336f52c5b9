"""The ADE20K and NYUv2-normals configs state the paper's protocol; each number cites the paper's code.

"ssl-transfer@416913f" is github.com/linusericsson/ssl-transfer at commit 416913f: semantic-segmentation/ is its
copy of CSAIL's semantic-segmentation-pytorch (ADE20K), surface-normal-estimation/ its normals code.
"""
import numpy as np
import pytest
from mmengine.config import Config

from mmssl_transfer.apis.variants import load_with_variants

from .conftest import REPO

CONFIGS = REPO / 'configs'
IMAGENET = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
PAPER_SCALES = (300, 375, 450, 525, 600)


@pytest.fixture(scope='module')
def seg():
    return Config.fromfile(str(CONFIGS / 'seg' / 'simclrv1_upernet_ade20k.py'))


@pytest.fixture(scope='module')
def normals():
    return Config.fromfile(str(CONFIGS / 'normals' / 'simclrv1_pspnet_nyuv2.py'))


def test_ade20k_total_batch_is_two_gpus_times_two(seg):
    # readme.md L187 `python train.py --gpus 0,1 --cfg selfsupconfig/byol.yaml`; selfsupconfig/byol.yaml L19
    # batch_size_per_gpu 2; semantic-segmentation/train.py L264 batch = num_gpus x batch_size_per_gpu (each of the
    # len(gpus) loader items is one GPU's batch, L170-177); results/byol.txt L44-45 evaluate on the same two GPUs
    assert seg.transfer_task == dict(task='seg', dataset='ade20k', protocol='finetune', primary_metric='mIoU',
                                     variant='paper', total_batch_size=4)
    assert seg.train_dataloader.batch_size == 4 and seg.auto_scale_lr.base_batch_size == 4


def test_ade20k_schedule_and_weight_decay_groups(seg):
    optimizer = seg.optim_wrapper.optimizer
    # config/ade20k-resnet50-upernet.yaml L23-27: lr_encoder = lr_decoder 0.02, lr_pow 0.9, beta1 (momentum) 0.9,
    # weight_decay 1e-4; L19-21: 30 epochs x 5000 iterations; train.py L130-133: lr x (1 - iter / max_iters)^0.9
    assert (optimizer.type, optimizer.lr, optimizer.momentum, optimizer.weight_decay) == ('SGD', 0.02, 0.9, 1e-4)
    (poly,) = seg.param_scheduler
    assert (poly.type, poly.power, poly.eta_min, poly.end) == ('PolyLR', 0.9, 0.0, 150000)
    assert seg.train_cfg.max_iters == 30 * 5000
    # train.py L92-112 group_weight: conv/linear weights decay; their biases and BN weights/biases do not
    assert seg.optim_wrapper.paramwise_cfg == dict(norm_decay_mult=0.0, bias_decay_mult=0.0)


def test_ade20k_model_and_loss(seg):
    head = seg.model.decode_head
    # config L9 segm_downsampling_rate 4: the loss sees labels downsampled 4x (see test_label_downsampling.py)
    assert head.type == 'DownsampledLabelUPerHead' and head.label_downsample == 4
    # models.py L499-541 UPerNet(fpn_dim=512) (built with fpn_dim 512 at L143-148): PPM (1, 2, 3, 6), and no
    # dropout before the classifier (conv_last = conv3x3_bn_relu + 1x1 conv)
    assert head.channels == 512 and head.pool_scales == (1, 2, 3, 6) and head.dropout_ratio == 0.0
    # train.py L154 NLLLoss(ignore_index=-1): the mean over labelled pixels (of the whole batch on any number of
    # GPUs: tests/test_distributed/test_loss_over_processes.py)
    assert head.loss_decode.avg_non_ignore is True and head.loss_decode.type == 'GlobalMeanCrossEntropyLoss'
    # config L8 padding_constant 32
    assert seg.model.data_preprocessor.size_divisor == 32 and seg.model.data_preprocessor.pad_val == 0
    assert seg.model.backbone.frozen_stages == -1 and seg.model.backbone.norm_eval is False  # fix_bn False


def test_ade20k_training_pipeline(seg):
    steps = {s.type: s for s in seg.train_dataloader.dataset.pipeline}
    # config L6-7 imgSizes (300, 375, 450, 525, 600), imgMaxSize 1000; mit_semseg/dataset.py L172-173 PIL bilinear
    # image / nearest label resize; L166-169 flip with probability 1/2
    assert steps['RandomChoiceResize'].scales == [(1000, s) for s in PAPER_SCALES]
    assert steps['RandomChoiceResize'].keep_ratio is True and steps['RandomChoiceResize'].backend == 'pillow'
    assert steps['RandomFlip'].prob == 0.5
    assert 'RandomCrop' not in steps  # whole images


def test_ade20k_default_test_is_five_scales_without_flip(seg):
    # eval_multipro.py L56-67: softmax averaged over cfg.DATASET.imgSizes; mit_semseg/dataset.py L225-236: short side
    # to s (long side <= imgMaxSize 1000), sides rounded up to padding_constant 32, one PIL bilinear resize; no flip
    assert seg.test_time_aug is True and seg.tta_model.type == 'SegTTAModel'
    load, tta = seg.tta_pipeline
    assert tta.type == 'TestTimeAug'
    resizes, *rest = tta.transforms
    assert [(r.type, r.short_side, r.max_long_side, r.size_divisor, r.backend) for r in resizes] == [
        ('ShortSideResizeToMultiple', s, 1000, 32, 'pillow') for s in PAPER_SCALES]
    assert all(len(group) == 1 and group[0].type != 'RandomFlip' for group in rest)


@pytest.mark.parametrize('family', ['seg', 'normals'])
@pytest.mark.parametrize('method', ['simclrv1', 'simclrv2', 'byol'])
def test_dense_input_is_imagenet_normalised_for_every_method(family, method):
    # semantic-segmentation/mit_semseg/dataset.py L33-36 normalises every image with ImageNet mean/std;
    # surface-normal-estimation/scripts/train_all.sh L5 passes no image_mode, so train_finetune_models.sh L8 uses
    # 'rgb' = ImageNet mean/std (dataset_generic.py L118-124), SimCLR included
    path = {'seg': CONFIGS / 'seg' / f'{method}_upernet_ade20k.py',
            'normals': CONFIGS / 'normals' / f'{method}_pspnet_nyuv2.py'}[family]
    cfg = Config.fromfile(str(path))
    assert cfg.model.data_preprocessor.mean == pytest.approx(IMAGENET['mean'])
    assert cfg.model.data_preprocessor.std == pytest.approx(IMAGENET['std'])
    own = load_with_variants(path, ['method-input'])
    expected = [255.0] * 3 if method.startswith('simclr') else IMAGENET['std']
    assert own.model.data_preprocessor.std == pytest.approx(expected)
    assert own.transfer_task.variant == 'method-input'


def test_normals_backbone_is_the_papers_dilated_resnet(normals):
    backbone = normals.model.backbone
    # surface-normal-estimation/scripts/train_finetune_models.sh L16 ptresnet50dilated; models/models.py L117-120
    # ResnetDilated(dilate_scale=8): layer3/layer4 lose their stride and dilate by 2/4, the first block of each
    # keeping half (L298-302, L339-352); --freeze_until layer4 (L23) freezes conv1 and layers 1-4 with BN in eval
    # mode (models.py L323-337, L372-412)
    assert (backbone.strides, backbone.dilations, backbone.contract_dilation) == ((1, 2, 1, 1), (1, 1, 2, 4), True)
    assert backbone.frozen_stages == 4 and backbone.norm_eval is True


def test_normals_head_schedule_and_batch(normals):
    head = normals.model.decode_head
    # train_finetune_models.sh L17 --arch_decoder ppm (models/models.py L533-554: PPM (1, 2, 3, 6), 512 channels,
    # Dropout2d(0.1)); train_generic.py L296 segm_downsampling_rate 8; L185 NLLLoss(ignore_index=-1)
    assert (head.type, head.pool_scales, head.channels, head.dropout_ratio) == (
        'NormalPSPHead', (1, 2, 3, 6), 512, 0.1)
    assert head.label_downsample == 8 and head.target == 'clusters' and head.num_clusters == 40
    from mmssl_transfer.models.decode_heads.normal_psp_head import DEFAULT_LOSSES
    assert DEFAULT_LOSSES['clusters']['avg_non_ignore'] is True
    assert DEFAULT_LOSSES['clusters']['type'] == 'GlobalMeanCrossEntropyLoss'
    # train_finetune_models.sh L18 --gpus "0" (one GPU) with train_generic.py L261 batch_size_per_gpu default 2;
    # scripts/test_models.sh L10 checkpoint folder "...-ngpus1-batchSize2-..."
    assert normals.transfer_task.total_batch_size == 2 and normals.train_dataloader.batch_size == 2
    assert normals.transfer_task.variant == 'paper'
    optimizer = normals.optim_wrapper.optimizer
    # train_generic.py L270-276 lr 0.02 (encoder and decoder), lr_pow 0.9, momentum 0.9, weight_decay 1e-4;
    # train_finetune_models.sh L25-26: 90 iterations x 150 epochs; L108-134 group_weight (no decay on BN, biases)
    assert (optimizer.lr, optimizer.momentum, optimizer.weight_decay) == (0.02, 0.9, 1e-4)
    assert normals.param_scheduler[0].power == 0.9 and normals.train_cfg.max_iters == 90 * 150
    assert normals.optim_wrapper.paramwise_cfg == dict(norm_decay_mult=0.0, bias_decay_mult=0.0)
    # train_generic.py L294 padding_constant 8
    assert normals.model.data_preprocessor.size_divisor == 8


def test_normals_pipelines_have_no_flip_and_test_at_short_side_450(normals):
    train = [s.type for s in normals.train_dataloader.dataset.pipeline]
    # train_finetune_models.sh L22 --random_flip 0; dataset_generic.py L70-71 asserts it is off for nyuv2sn40
    assert not any('Flip' in t for t in train)
    resize = next(s for s in normals.train_dataloader.dataset.pipeline if s.type == 'BatchRandomChoiceResize')
    # train_generic.py L289-293 imgSize 300..600, imgMaxSize 1000; dataset_generic.py L256 scipy (PIL) bilinear
    assert resize.scales == [(1000, s) for s in PAPER_SCALES] and resize.backend == 'pillow'
    assert resize.draws_per_batch == normals.transfer_task.total_batch_size  # dataset_generic.py L208-211: per batch
    # eval_generic.py L288-295 imgSize [450], imgMaxSize 1000, padding_constant 8; dataset_generic.py L297-308:
    # sides rounded up to a multiple of 8, one cv2.resize (bilinear); logits upsampled back to the label size
    # (models.py PPM with use_softmax) - mmseg resizes them to ori_shape
    resize = normals.test_dataloader.dataset.pipeline[1]
    assert (resize.type, resize.short_side, resize.max_long_side, resize.size_divisor, resize.backend) == (
        'ShortSideResizeToMultiple', 450, 1000, 8, 'cv2')
    assert [s.type for s in normals.test_dataloader.dataset.pipeline][2] == 'LoadNormalAnnotation'


def test_normals_variants_restore_the_earlier_choices():
    path = CONFIGS / 'normals' / 'byol_pspnet_nyuv2.py'
    flip = load_with_variants(path, ['flip-aug'])
    assert [s.type for s in flip.train_dataloader.dataset.pipeline][-2] == 'NormalRandomFlip'
    four = load_with_variants(path, ['batch4'])
    assert four.train_dataloader.batch_size == four.transfer_task.total_batch_size == 4
    native = load_with_variants(path, ['native-resolution-test'])
    assert 'ShortSideResizeToMultiple' not in [s.type for s in native.test_dataloader.dataset.pipeline]
    both = load_with_variants(path, ['flip-aug', 'batch4'])
    assert both.transfer_task.variant == 'flip-aug+batch4' and both.train_dataloader.batch_size == 4


@pytest.mark.parametrize('size, short, divisor, expected', [
    ((480, 640), 450, 8, (456, 600)),  # NYUv2 at the normals test scale: 450 x 600, 450 rounded up to 456
    ((512, 683), 300, 32, (320, 416)),  # scale 300/512: 300 x int(400.2) = 400, rounded up to 320 x 416
    ((256, 1600), 600, 32, (160, 1024)),  # the long side caps the scale at 1000/1600: 160 x 1000 -> 160 x 1024
])
def test_short_side_resize_to_multiple_sizes_and_single_interpolation(size, short, divisor, expected):
    from PIL import Image

    from mmssl_transfer.datasets.transforms import ShortSideResizeToMultiple
    image = np.random.default_rng(0).integers(0, 256, size=(*size, 3), dtype=np.uint8)
    out = ShortSideResizeToMultiple(short, 1000, divisor, backend='pillow')(dict(img=image))
    assert out['img'].shape[:2] == out['img_shape'] == expected
    pil = Image.fromarray(image).resize(expected[::-1], Image.BILINEAR)
    np.testing.assert_array_equal(out['img'], np.asarray(pil))
