# Variant of the NYUv2-normals protocol: the training scale drawn per image (mmcv's RandomChoiceResize), where
# the paper's code draws one per batch (surface-normal-estimation/dataset_generic.py L208-211). The data
# preprocessor then pads each batch to its largest image (about 19% of the decoder's training canvas).
train_pipeline = [
    dict(type='RandomChoiceResize', **{k: v for k, v in step.items() if k not in ('type', 'draws_per_batch')})
    if step['type'] == 'BatchRandomChoiceResize' else step for step in _base_.train_dataloader.dataset.pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
transfer_task = dict(variant='per-image-scale')
