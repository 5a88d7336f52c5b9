# Variant of the NYUv2-normals protocol: a total batch of 4 (the paper's text) instead of the 2 its code trained
# with (scripts/train_finetune_models.sh: one GPU, train_generic.py --batch_size_per_gpu default 2). Same lr and
# iterations.
train_dataloader = dict(batch_size=4)  # = total_batch_size (the single-process value)
auto_scale_lr = dict(base_batch_size=4)
transfer_task = dict(variant='batch4', total_batch_size=4)
