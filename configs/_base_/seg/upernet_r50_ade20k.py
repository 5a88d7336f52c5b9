# ADE20K semantic segmentation, the paper's protocol (transfer_task.variant 'paper'): UPerNet + SSLResNet-50
# finetuned end to end, total batch 4, SGD lr 0.02, poly 0.9, 150k iterations, loss at 1/4 resolution; tested with
# the softmax averaged over 5 scales (tools/test.py does it: test_time_aug). Metrics: mIoU, aAcc (pixel accuracy),
# mAcc. Named variants in configs/variants/seg/ (--variant single-scale, ms-flip, mmseg-512x512-160k, method-input).
# Not comparable with the paper's table: its encoder very likely never received the SSL weights (README).
_base_ = [
    '../models/upernet_ssl_r50.py', '../datasets/ade20k_seg.py', '../seg_runtime.py',
    '../schedules/seg_paper_150k.py'
]
test_time_aug = True  # tools/test.py evaluates through tta_model on tta_pipeline
# total_batch_size: images per optimizer step over all processes. The paper's README trains with
# `python train.py --gpus 0,1 --cfg selfsupconfig/<method>.yaml` and each selfsupconfig sets
# TRAIN.batch_size_per_gpu 2; train.py makes the batch num_gpus x batch_size_per_gpu = 2 x 2 = 4 (its eval logs,
# semantic-segmentation/results/*.txt, show the same two GPUs). train_dataloader.batch_size equals it.
transfer_task = dict(task='seg', dataset='ade20k', protocol='finetune', primary_metric='mIoU', variant='paper',
                     total_batch_size=4)
