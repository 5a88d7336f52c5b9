# Variant of the detection protocol: VOC boxes marked `difficult` are ignored in training (mmdet's VOCDataset
# default: ignore_flag=1, so the assigners neither match nor penalise them) instead of being trained on as
# ordinary targets, which is what detectron2's VOC loader, and so the paper, does. Evaluation is unchanged.
train_dataloader = dict(
    dataset=dict(datasets=[dict(d, train_on_difficult=False) for d in _base_.train_dataloader.dataset.datasets]))
transfer_task = dict(variant='mmdet-ignore-difficult')
