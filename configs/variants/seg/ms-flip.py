# Variant of the ADE20K protocol: the paper's 5-scale test plus a horizontally flipped view of each scale (10 views,
# softmaxes averaged). The paper averaged the 5 scales without flip (semantic-segmentation/eval_multipro.py).
# A test-time variant: name it when testing a model trained with the paper's protocol.
tta_pipeline = [
    _base_.tta_pipeline[0],
    dict(
        type='TestTimeAug',
        transforms=[
            _base_.tta_pipeline[1].transforms[0],
            [dict(type='RandomFlip', prob=0., direction='horizontal'),
             dict(type='RandomFlip', prob=1., direction='horizontal')],
            *_base_.tta_pipeline[1].transforms[1:],
        ]),
]
transfer_task = dict(variant='ms-flip')
