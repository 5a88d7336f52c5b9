# Runtime of the recognition finetune runs (mmpretrain scope, iteration-based logging).
default_scope = 'mmpretrain'
custom_imports = dict(
    imports=[
        'mmssl_transfer.models',  # SSLResNet in mmpretrain's MODELS
        'mmssl_transfer.datasets',  # Transfer* / CD-FSL datasets in mmpretrain's DATASETS
        'mmssl_transfer.evaluation',  # TransferClsMetric in mmpretrain's METRICS
        'mmssl_transfer.engine.layer_decay',  # ViTLayerDecayOptimWrapperConstructor (ViT recipes)
    ],
    allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
