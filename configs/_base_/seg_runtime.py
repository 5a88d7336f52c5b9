# Runtime of the dense-prediction transfer tasks (ADE20K segmentation, NYUv2 normals): mmseg scope.
default_scope = 'mmseg'
custom_imports = dict(
    imports=[
        'mmssl_transfer.models',  # SSLResNet
        'mmssl_transfer.models.decode_heads',  # NormalPSPHead
        'mmssl_transfer.models.losses',  # CosineNormalLoss
        'mmssl_transfer.models.segmentors',  # NormalEncoderDecoder
        'mmssl_transfer.datasets',  # NYUv2NormalsDataset, CheckSegMapSize, normal transforms
        'mmssl_transfer.evaluation',  # NormalAngularMetric in mmseg's METRICS
        'mmssl_transfer.engine.hooks.normal_clusters_hook',  # NormalClustersHook
        'mmssl_transfer.engine.layer_decay',  # ViTLayerDecayOptimWrapperConstructor (ViT recipes)
    ],
    allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
# norm_cfg SyncBN needs no edit off-GPU: torch's SyncBatchNorm computes plain BN statistics without a process
# group, and mmssl_transfer.compat synchronises it over gloo when DDP wraps a CPU model (GlooSyncBatchNorm).
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
# Test-time augmentation model: tools/test.py wraps the model in it and tests on the dataset config's
# tta_pipeline when the config sets test_time_aug = True (SegTTAModel averages the softmaxes of the views).
tta_model = dict(type='SegTTAModel')
