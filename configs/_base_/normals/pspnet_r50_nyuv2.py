# NYUv2 surface normals, the paper's protocol: frozen dilated SSLResNet-50 + PSPNet head classifying 40 normal
# clusters, SGD lr 0.02, poly 0.9, 13,500 iterations, batch 4. Metrics: mean / median / rmse angular error
# (degrees, LOWER is better; primary: mean) and % of pixels within 11.25 / 22.5 / 30 degrees.
# Direct regression instead: model = dict(decode_head=dict(target='regression')).
_base_ = [
    '../models/pspnet_ssl_r50_d8_normals.py', '../datasets/nyuv2_normals.py', '../seg_runtime.py',
    '../schedules/normals_13500.py'
]
custom_hooks = [dict(type='NormalClustersHook')]  # cluster centres from <data_root>/normal_clusters_k40.npy
transfer_task = dict(task='normals', dataset='nyuv2', protocol='frozen', primary_metric='mean')
