# Variant of the ADE20K task for the ViT rows: DINOv2's frozen "linear" evaluation (DINOv2 paper Sec. 7.4, "lin."),
# applied to a ViT config (configs/seg/<vit row>_upernet_ade20k.py --variant dinov2-linear). The whole ViT is frozen
# (every block and the final norm, kept in eval mode; no drop path); the final-norm patch tokens of the last block
# feed LinearBNHead (BatchNorm + 1x1 classifier, DINOv2's BNHead design, dinov2/eval/segmentation/models/
# decode_heads/linear_head.py). It runs the seg row's 'frozen' protocol (tasks.py TASKS['seg'].runner.
# variant_protocols): the record says protocol 'frozen' and the variant 'vit-upernet-mae+dinov2-linear', never
# paper_protocol.
#
# Settings checked against DINOv2's released config dinov2_vitb14_ade20k_linear_config.py. That file is served from
# dl.fbaipublicfiles.com/dinov2/<row>/ (the DINOv2 repository's notebooks/semantic_segmentation.ipynb downloads it),
# it is not in the facebookresearch/dinov2 repository, and the MODEL_CARD.md lists only the results. The line
# numbers below are those of a copy of it (its work_dir still says dinov2_vitb14_ade20k_linear; not byte-checked
# against the original) in github.com/Jiawei-Yang/Denoising-ViT, evaluation/configs/vitb_ade20k_linear_config.py
# ("DVT L<n>"):
# - AdamW lr 1e-3, weight decay 1e-4, betas (0.9, 0.999): DVT L73.
# - linear warm-up 1,500 iterations from 1e-6 x lr, then poly power 1 to 0: DVT L82-90.
# - 40k iterations: DVT L91. Checkpoints and validation every 10k there (L92-93); we keep them every 4k (as often
#   as our other ADE20K runs; no effect on the result).
# - total batch 16: 2 per GPU (DVT L41) x 8 GPUs (DVT L116); our base's transfer_task.total_batch_size is 16.
# - which blocks: the last only. The backbone returns blocks 8-11 (DVT L100) and the head reads index 3 of them
#   (DVT L103-105: in_index=[3], in_channels=[768] for ViT-B), i.e. block 11; ours: out_indices=[11]. DINOv2's
#   "+ms" setting (the MODEL_CARD's "multiscale" ADE20K column) reads the last four blocks at 640 and tests
#   multi-scale: list more blocks in backbone.out_indices and decode_head.in_channels for it.
# - not multi-scale: training resizes (2048, 512) with ratio 0.5-2.0, 512 crops (cat_max_ratio 0.75), flip,
#   photometric distortion (DVT L12-23), the test is one scale (img_ratios=1.0, flip=False: DVT L27-30) through a
#   slide window 512, stride 341 (DVT L113): the same as the ViT UPerNet base this variant inherits.
# Not verified: whether DINOv2's released linear head is fed the final-norm output of the block (the config does not
# say; DINOv2's segmentation backbone code that decides it is not in the stored repository), and the ViT-S file
# (the copy above is ViT-B's; the ViT-S file is assumed to differ only in the width, 384).
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
