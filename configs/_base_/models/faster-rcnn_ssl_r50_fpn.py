# Faster R-CNN + FPN as mmdet ships it, on the self-supervised ResNet-50 (SSLResNet: torchvision layout, plain
# 7x7 stem, loads a zoo checkpoint strictly) with 20 VOC classes: the only two changes. BN is frozen everywhere
# (statistics and affine parameters), as in the transfer paper; frozen_stages is set by the frozen/finetune det
# configs. The per-method backbone config (configs/_base_/backbones/<method>.py) fills in `checkpoint`/`method`
# and the preprocessor's mean/std.
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='SSLResNet',
        checkpoint=None,
        method='auto',
        depth=50,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True),
    roi_head=dict(bbox_head=dict(num_classes=20)))
