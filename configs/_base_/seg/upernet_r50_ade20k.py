# ADE20K semantic segmentation, the paper's protocol: UPerNet + SSLResNet-50 finetuned end to end,
# batch 2/GPU, SGD lr 0.02, poly 0.9, 150k iterations. Metrics: mIoU, aAcc (pixel accuracy), mAcc.
# Multi-scale + flip test: tools/test.py CONFIG CKPT --tta (uses tta_pipeline / tta_model).
_base_ = [
    '../models/upernet_ssl_r50.py', '../datasets/ade20k_seg.py', '../seg_runtime.py',
    '../schedules/seg_paper_150k.py'
]
transfer_task = dict(task='seg', dataset='ade20k', protocol='finetune', primary_metric='mIoU')
