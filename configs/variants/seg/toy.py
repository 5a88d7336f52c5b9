# Variant of the ADE20K protocol: the toy world's size, so a new backbone's config runs end to end on CPU in a
# minute (tools/train.py CONFIG --variant toy --data-root <toy>/ADEChallengeData2016, the same for
# tools/test.py; the demo suite runs its seg cells this way). Width-8 backbone, 16-channel UPerNet head,
# 4 iterations at a total batch of 2, ~48x80 images (training and the 5-scale test scaled down, short sides
# 24..56), no data-loader workers. Toy numbers mean nothing.
model = dict(backbone=dict(base_channels=8), decode_head=dict(in_channels=[32, 64, 128, 256], channels=16))
train_cfg = dict(max_iters=4, val_interval=1000, val_begin=1000)  # no validation pass: the test step evaluates
param_scheduler = [dict(_base_.param_scheduler[0], end=4)]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(
    pipeline=[dict(s, scales=[(80, 40), (80, 48)]) if s['type'] == 'RandomChoiceResize' else s
              for s in _base_.train_dataloader.dataset.pipeline]))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    pipeline=[dict(s, scale=(80, 48)) if s['type'] == 'Resize' else s
              for s in _base_.val_dataloader.dataset.pipeline]))
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    pipeline=[dict(s, scale=(80, 48)) if s['type'] == 'Resize' else s
              for s in _base_.test_dataloader.dataset.pipeline]))
tta_pipeline = [
    dict(s, transforms=[[dict(t, short_side=short) for t, short in zip(s['transforms'][0], (24, 32, 40, 48, 56))],
                        *s['transforms'][1:]]) if s['type'] == 'TestTimeAug' else s
    for s in _base_.tta_pipeline]
default_hooks = dict(checkpoint=dict(interval=4), logger=dict(interval=1))
log_processor = dict(window_size=1)
transfer_task = dict(variant='toy', total_batch_size=2)
