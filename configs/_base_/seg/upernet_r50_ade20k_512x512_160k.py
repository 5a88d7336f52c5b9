# ADE20K with mmseg's standard recipe instead of the paper's: 512x512 crops, total batch 16 (4 GPUs x 4),
# SGD lr 0.01 / wd 5e-4, poly to 1e-4 over 160k iterations, FCN auxiliary head (weight 0.4) on stage 3.
_base_ = [
    '../models/upernet_ssl_r50.py', '../datasets/ade20k_seg_512x512.py', '../seg_runtime.py',
    '../schedules/seg_mmseg_160k.py'
]
model = dict(
    data_preprocessor=dict(size=(512, 512), size_divisor=None),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=1024,
        in_index=2,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=150,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)))
transfer_task = dict(task='seg', dataset='ade20k', protocol='finetune-512x512-160k', primary_metric='mIoU')
