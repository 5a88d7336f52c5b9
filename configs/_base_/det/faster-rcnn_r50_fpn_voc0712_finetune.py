# Detection transfer, FINETUNE protocol: the whole backbone trains except BN, which stays frozen everywhere
# (statistics and affine parameters). Per-method configs add `_base_/backbones/<method>.py` (see configs/det/).
_base_ = [
    '../models/faster-rcnn_ssl_r50_fpn.py', '../datasets/voc0712_det.py',
    '../schedules/det_voc_18k.py', '../det_runtime.py'
]
model = dict(
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True))
transfer_task = dict(task='det', dataset='voc0712', protocol='finetune', primary_metric='AP')
