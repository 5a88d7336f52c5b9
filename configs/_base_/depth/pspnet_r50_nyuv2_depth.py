# NYUv2 depth, a pixelwise structural task (Kotar et al. 2021) beside the normals: the normals task's frozen
# dilated SSLResNet-50 + PSPNet head with one depth channel, its data (same images, same 795/654 split), its
# schedule (SGD lr 0.02, poly 0.9, 13,500 iterations, total batch 2) and test resize. The paper (Ericsson et al.)
# has no depth task, so no run of it is the paper's protocol: the default is named 'normals-protocol'. Named
# variants in configs/variants/depth/ (--variant virb-224-l1: ViRB's 224x224 input and L1 loss). Metrics: mmseg's
# DepthMetric (primary: rmse, metres, LOWER is better).
_base_ = [
    '../models/pspnet_ssl_r50_d8_depth.py', '../datasets/nyuv2_depth.py', '../seg_runtime.py',
    '../schedules/normals_13500.py'
]
transfer_task = dict(task='depth', dataset='nyuv2', protocol='frozen', primary_metric='rmse',
                     variant='normals-protocol', total_batch_size=2)
