# Variant of the ADE20K task for the ViT rows: the frozen "linear" evaluation of iBOT and DINOv2 (DINOv2 Table 10,
# "lin."), applied to a ViT config (configs/seg/<vit row>_upernet_ade20k.py --variant dinov2-linear). The whole ViT
# is frozen (every block and the final norm, kept in eval mode; no drop path); the final-norm patch tokens of the
# last block feed LinearBNHead (BatchNorm + 1x1 classifier, DINOv2's BNHead design; more blocks: list them in
# backbone.out_indices and decode_head.in_channels, DINOv2's "+ms" reads the last four). Only the head trains:
# AdamW lr 1e-3, weight decay 1e-4, linear warm-up 1,500 iterations then poly (power 1) to 0 at 40k iterations,
# total batch 16 - our reading of DINOv2's linear ADE20K settings, not checked against its released config here.
# Data and test as the ViT UPerNet base (512 crops, slide test 512 / 341). A variant, not a protocol of its own:
# the ADE20K task keeps one protocol ('finetune'), and this run records 'vit-upernet-mae+dinov2-linear'.
model = dict(
    backbone=dict(out_indices=[11], frozen_stages=12, drop_path_rate=0.0),
    neck=None,
    decode_head=dict(_delete_=True, type='LinearBNHead', in_channels=[_base_.model.neck.embed_dim],
                     num_classes=150, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=None)
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=40000, by_epoch=False),
]
train_cfg = dict(max_iters=40000, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))
transfer_task = dict(variant='dinov2-linear')
