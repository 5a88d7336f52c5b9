# Detection transfer, FROZEN protocol: stem and stages 1-3 of the backbone frozen; stage 4, FPN and heads
# train; BN frozen everywhere. Per-method configs add `_base_/backbones/<method>.py` (see configs/det/).
_base_ = [
    '../models/faster-rcnn_ssl_r50_fpn.py', '../datasets/voc0712_det.py',
    '../schedules/det_voc_18k.py', '../det_runtime.py'
]
model = dict(
    backbone=dict(
        frozen_stages=3,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True))
transfer_task = dict(task='det', dataset='voc0712', protocol='frozen', primary_metric='AP')
