# Variant of the NYUv2-normals protocol: random horizontal flip (p 0.5, the normals' x component negated) in
# training. The paper's code trains without flip (scripts/train_finetune_models.sh --random_flip 0;
# dataset_generic.py asserts random_flip is off for nyuv2sn40).
train_pipeline = [
    *_base_.train_dataloader.dataset.pipeline[:-1],
    dict(type='NormalRandomFlip', prob=0.5, direction='horizontal'),  # before PackNormalInputs
    _base_.train_dataloader.dataset.pipeline[-1],
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
transfer_task = dict(variant='flip-aug')
