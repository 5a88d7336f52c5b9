# Variant of the ViT detection protocols (vitdet-frozen / vitdet-finetune): the toy world's size, as `toy` is for
# the ResNet configs, so a ViT's config runs end to end on CPU in a minute (tools/train.py CONFIG --variant toy-vit
# --data-root <toy>/VOCdevkit, the same for tools/test.py). The toy ViT files of tools/make_toy_data.py (width 24,
# 2 blocks: toy=True lets the width and depth follow the file), 32-channel SimpleFPN/heads, 4 iterations at a
# total batch of 2, ~128-px images, fewer proposals, no data-loader workers. When windowed (finetune), block 0
# attends in windows and block 1 globally. Toy numbers mean nothing.
model = dict(
    backbone=dict(toy=True, global_blocks=(1,)),
    neck=dict(in_channels=24, out_channels=32),
    rpn_head=dict(in_channels=32, feat_channels=32),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=32),
                  bbox_head=dict(in_channels=32, conv_out_channels=32, fc_out_channels=64)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=300, max_per_img=100), rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100)))
train_cfg = dict(max_iters=4, val_interval=1000, val_begin=1000)  # no validation pass: the test step evaluates
param_scheduler = [dict(_base_.param_scheduler[0], end=2),
                   dict(_base_.param_scheduler[1], end=4, milestones=[40])]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(datasets=[
        dict(d, pipeline=[dict(s, scales=[(160, 96), (160, 128)]) if s['type'] == 'RandomChoiceResize' else s
                          for s in d['pipeline']])
        for d in _base_.train_dataloader.dataset.datasets]))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    pipeline=[dict(s, scale=(160, 128)) if s['type'] == 'Resize' else s
              for s in _base_.val_dataloader.dataset.pipeline]))
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    pipeline=[dict(s, scale=(160, 128)) if s['type'] == 'Resize' else s
              for s in _base_.test_dataloader.dataset.pipeline]))
default_hooks = dict(checkpoint=dict(interval=4), logger=dict(interval=1))
log_processor = dict(window_size=1)
transfer_task = dict(variant='toy-vit', total_batch_size=2)
