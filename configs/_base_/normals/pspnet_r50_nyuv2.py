# NYUv2 surface normals, the paper's protocol (transfer_task.variant 'paper'): frozen dilated SSLResNet-50
# (contracted dilation) + PSPNet head classifying 40 normal clusters with the loss at 1/8 resolution, SGD lr 0.02,
# poly 0.9, 13,500 iterations, total batch 2, no flip, test at short side 450. Named variants in
# configs/variants/normals/ (--variant flip-aug, batch4, native-resolution-test, method-input). Metrics: mean /
# median / rmse angular error (degrees, LOWER is better; primary: mean) and % of pixels within 11.25 / 22.5 / 30
# degrees. Direct regression instead: model = dict(decode_head=dict(target='regression')).
_base_ = [
    '../models/pspnet_ssl_r50_d8_normals.py', '../datasets/nyuv2_normals.py', '../seg_runtime.py',
    '../schedules/normals_13500.py'
]
custom_hooks = [dict(type='NormalClustersHook')]  # cluster centres from <data_root>/normal_clusters_k40.npy
# total_batch_size: images per optimizer step over all processes. train_finetune_models.sh trains on one GPU
# (--gpus "0") with train_generic.py's default --batch_size_per_gpu 2 (its test script's checkpoint folder name
# says "ngpus1-batchSize2"). train_dataloader.batch_size equals it.
transfer_task = dict(task='normals', dataset='nyuv2', protocol='frozen', primary_metric='mean', variant='paper',
                     total_batch_size=2)
