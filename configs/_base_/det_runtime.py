# Runtime of the detection transfer runs (mmdet scope, iteration-based logging and checkpoints).
default_scope = 'mmdet'
custom_imports = dict(
    imports=[
        'mmssl_transfer.models',  # SSLResNet in mmdet's MODELS
        'mmssl_transfer.datasets',  # CheckedVOCDataset in mmdet's DATASETS
        'mmssl_transfer.evaluation',  # VOCMultiIoUMetric in mmdet's METRICS
        'mmssl_transfer.engine',  # BackboneProvenanceHook in mmengine's HOOKS
    ],
    allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=3000, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'))
# records the backbone's method and checkpoint sha256 in saved checkpoints, for tools/test.py's result.json
custom_hooks = [dict(type='BackboneProvenanceHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)

log_level = 'INFO'
load_from = None
resume = False
