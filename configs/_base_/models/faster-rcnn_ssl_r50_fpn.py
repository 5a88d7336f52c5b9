# Faster R-CNN + FPN as mmdet ships it, on the self-supervised ResNet-50 (SSLResNet: torchvision layout, plain
# 7x7 stem, loads a zoo checkpoint strictly) with 20 VOC classes, and three of detectron2's rules where mmdet's
# default differs (the paper trained with detectron2's Base-RCNN-FPN):
#   - RPN low-quality matches at any IoU: detectron2's RPN Matcher(allow_low_quality_matches=True) makes each
#     ground truth's best anchors positive whatever their IoU, where mmdet's MaxIoUAssigner floors them at
#     min_pos_iou=0.3;
#   - FPN lateral/output convs and the box head's two FCs initialised with c2_xavier_fill (kaiming_uniform_,
#     a=1, bias 0; detectron2 fpn.py, fast_rcnn box_head.py), where mmdet uses Xavier-uniform; the RPN convs
#     (Normal 0.01) and the class/box predictors (Normal 0.01 / 0.001, bias 0) are the same in both.
# BN is frozen everywhere
# (statistics and affine parameters), as in the transfer paper; frozen_stages is set by the frozen/finetune det
# configs. The per-method backbone config (configs/_base_/backbones/<method>.py) fills in `checkpoint`/`method`
# and the preprocessor's mean/std.
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'
# detectron2's c2_xavier_fill as an mmengine initialiser: kaiming_uniform_(weight, a=1) (fan_in, leaky_relu), bias 0
C2_XAVIER_FILL = dict(type='Kaiming', layer=['Conv2d', 'Linear'], a=1, mode='fan_in', nonlinearity='leaky_relu',
                      distribution='uniform', bias=0)
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
    neck=dict(init_cfg=C2_XAVIER_FILL),
    roi_head=dict(bbox_head=dict(
        num_classes=20,
        init_cfg=[dict(type='Normal', std=0.01, override=dict(name='fc_cls')),
                  dict(type='Normal', std=0.001, override=dict(name='fc_reg')),
                  dict(C2_XAVIER_FILL, layer=None, override=dict(name='shared_fcs'))])),
    train_cfg=dict(rpn=dict(assigner=dict(min_pos_iou=0.0))))
