# Variant of the NYUv2 depth task: the toy world's size, so a new backbone's config runs end to end on CPU in a
# minute (tools/train.py CONFIG --variant toy --data-root <toy>/nyuv2, the same for tools/test.py; the demo suite
# runs its depth cell this way). Width-8 backbone, 16-channel PSP head, 4 iterations at a total batch of 2,
# ~48x80 images (test at short side 40, the normals' 450 scaled down), no data-loader workers, and no Eigen crop
# (it needs 480x640 frames). Toy numbers mean nothing.
# A ViT config (SSLViT) takes the toy ViT files of tools/make_toy_data.py (width 24, 2 blocks): the blocks read are
# clamped to the two, still all frozen, the head reads 24-channel maps.
model = dict(backbone=dict(base_channels=8), decode_head=dict(in_channels=256, channels=16)) if (
    _base_.model.backbone.type != 'SSLViT') else dict(
    backbone=dict(toy=True, out_indices=[min(i, 1) for i in _base_.model.backbone.out_indices],
                  frozen_stages=min(_base_.model.backbone.frozen_stages, 2)),
    decode_head=dict(in_channels=[24] * len(_base_.model.decode_head.in_channels), channels=16))
train_cfg = dict(max_iters=4, val_interval=1000, val_begin=1000)  # no validation pass: the test step evaluates
param_scheduler = [dict(_base_.param_scheduler[0], end=4)]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(
    pipeline=[dict(s, scales=[(80, 40), (80, 48)]) if s['type'] in ('RandomChoiceResize', 'BatchRandomChoiceResize')
              else s for s in _base_.train_dataloader.dataset.pipeline]))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    pipeline=[dict(s, short_side=40) if s['type'] == 'ShortSideResizeToMultiple' else s
              for s in _base_.val_dataloader.dataset.pipeline]))
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    pipeline=[dict(s, short_side=40) if s['type'] == 'ShortSideResizeToMultiple' else s
              for s in _base_.test_dataloader.dataset.pipeline]))
val_evaluator = dict(crop_type=None)
test_evaluator = dict(crop_type=None)
default_hooks = dict(checkpoint=dict(interval=4), logger=dict(interval=1))
log_processor = dict(window_size=1)
transfer_task = dict(variant='toy', total_batch_size=2)
