# Variant of the NYUv2-normals protocol: a total batch of 4 (the paper's text) instead of the 2 its code trained
# with (scripts/train_finetune_models.sh: one GPU, train_generic.py --batch_size_per_gpu default 2). Same lr and
# iterations; the training scale stays one per batch (of 4).
train_pipeline = [
    {**step, 'draws_per_batch': 4} if step['type'] == 'BatchRandomChoiceResize' else step
    for step in _base_.train_dataloader.dataset.pipeline
]
train_dataloader = dict(batch_size=4,  # = total_batch_size (the single-process value)
                        dataset=dict(pipeline=train_pipeline))
auto_scale_lr = dict(base_batch_size=4)
transfer_task = dict(variant='batch4', total_batch_size=4)
