# The finetune classifier: SSLResNet trained end to end (nothing frozen, BN in train mode, as the paper's finetune
# protocol) + GAP + linear head. (The linear probe needs no config: it fits a classifier on cached features.)
# The per-method backbone config (configs/_base_/backbones/<method>.py) fills in checkpoint/method and the
# preprocessor's mean/std; the dataset base sets num_classes.
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='SSLResNet',
        checkpoint=None,
        method='auto',
        base_channels=64,
        out_indices=(3, ),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        # nn.Linear's own init, as the paper's finetune.py (L108) leaves it; mmpretrain's default, Normal(std=0.01),
        # is the sweep's --head-init normal variant
        init_cfg=None))
