# UPerNet on a ResNet-50 with the plain 7x7 stem (SSLResNet), set up as the paper's ADE20K code (CSAIL's
# semantic-segmentation-pytorch in linusericsson/ssl-transfer/semantic-segmentation): the stem of mmseg's default
# ResNetV1c cannot take torchvision-layout self-supervised weights, so there is no model-level `pretrained`; the
# backbone loads its checkpoint itself (strictly). SyncBN (the toolkit's SynchronizedBatchNorm2d) becomes BN where
# it cannot synchronise. Input: ImageNet mean/std for every method, SimCLR included (mit_semseg/dataset.py
# normalises every image so); the method's own normalisation is the variant configs/variants/seg/method-input.py.
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,  # padding is 0 after normalisation, as the toolkit's zero-initialised batch tensor
    # Padding is ignored in the loss. The toolkit labels it class 0 ('wall': it pads the label batch with 0 after
    # shifting labels to -1..149, mit_semseg/dataset.py TrainDataset), but it also groups each GPU's batch by
    # orientation, which mmseg's sampler does not: padding is larger here, and training it as wall would
    # exaggerate that quirk rather than reproduce it.
    seg_pad_val=255,
    size_divisor=32)  # padding_constant 32 (config/ade20k-resnet50-upernet.yaml)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='SSLResNet',
        checkpoint=None,  # set by the method's backbone config
        depth=50,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 2),
        dilations=(1, 1, 1, 1),
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False),
    decode_head=dict(
        # mmseg's UPerHead with the loss at 1/4 resolution on nearest-downsampled labels (segm_downsampling_rate 4)
        type='DownsampledLabelUPerHead',
        label_downsample=4,
        in_channels=[256, 512, 1024, 2048],
        in_index=[0, 1, 2, 3],
        pool_scales=(1, 2, 3, 6),
        channels=512,  # fpn_dim 512
        dropout_ratio=0.0,  # the toolkit's UPerNet has no dropout before its classifier (models.py, conv_last)
        num_classes=150,
        norm_cfg=norm_cfg,
        align_corners=False,
        # NLLLoss(ignore_index=-1): the mean over labelled pixels (avg_non_ignore), here over those of the whole
        # batch on any number of GPUs (GlobalMeanCrossEntropyLoss). Not reproduced: the paper's toolkit averaged
        # the means of its 2 GPUs (2 images each), which weighs the two halves of a batch equally.
        loss_decode=dict(type='GlobalMeanCrossEntropyLoss', loss_weight=1.0, avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
