# Detection transfer, FINETUNE protocol: the whole backbone trains except BN, which stays frozen everywhere
# (statistics and affine parameters; detectron2 FREEZE_AT 0 with its default FrozenBN). The paper's protocol
# (transfer_task.variant 'paper'): total batch 2, lr 0.0025, 144k iterations, trained on VOC07+12 trainval with
# difficult boxes as targets; named variants in configs/variants/det/ (tools/train.py CONFIG --variant NAME).
# Per-method configs add
# `_base_/backbones/<method>.py` (see configs/det/).
_base_ = [
    '../models/faster-rcnn_ssl_r50_fpn.py', '../datasets/voc0712_det.py',
    '../schedules/det_voc_144k.py', '../det_runtime.py'
]
model = dict(
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True))
# total_batch_size: images per optimizer step over all processes (detectron2 SOLVER.IMS_PER_BATCH 2); the
# single-process train_dataloader.batch_size equals it.
transfer_task = dict(task='det', dataset='voc0712', protocol='finetune', primary_metric='AP', variant='paper',
                     total_batch_size=2)
