# Variant of the ADE20K protocol: the toy world's size, so a new backbone's config runs end to end on CPU in a
# minute (tools/train.py CONFIG --variant toy --data-root <toy>/ADEChallengeData2016, the same for
# tools/test.py; the demo suite runs its seg cells this way). Width-8 backbone, 16-channel UPerNet head,
# 4 iterations at a total batch of 2, ~48x80 images (training and the 5-scale test scaled down, short sides
# 24..56), no data-loader workers. Toy numbers mean nothing.
# A ViT config (SSLViT) takes the toy ViT files of tools/make_toy_data.py (width 24, 2 blocks): the blocks read are
# clamped to the two, a frozen ViT stays frozen, 32x32 crops and slide windows, heads at width 24.
model = dict(backbone=dict(base_channels=8), decode_head=dict(in_channels=[32, 64, 128, 256], channels=16)) if (
    _base_.model.backbone.type != 'SSLViT') else dict(
    backbone=dict(toy=True, out_indices=[min(i, 1) for i in _base_.model.backbone.out_indices],
                  frozen_stages=min(_base_.model.backbone.get('frozen_stages', -1), 2)),
    data_preprocessor=dict(size=(32, 32)),
    test_cfg=dict(crop_size=(32, 32), stride=(21, 21)),
    decode_head=dict(in_channels=[24] * len(_base_.model.decode_head.in_channels),
                     **({} if _base_.model.decode_head.type == 'LinearBNHead' else dict(channels=16))),
    **({} if _base_.model.get('neck') is None else dict(neck=dict(embed_dim=24))),
    **({} if _base_.model.get('auxiliary_head') is None else dict(auxiliary_head=dict(in_channels=24, channels=16))))
optim_wrapper = dict(paramwise_cfg=dict(num_layers=2)) if 'constructor' in _base_.optim_wrapper else dict()
train_cfg = dict(max_iters=4, val_interval=1000, val_begin=1000)  # no validation pass: the test step evaluates
param_scheduler = [dict(_base_.param_scheduler[0], end=4)]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(
    pipeline=[dict(s, scales=[(80, 40), (80, 48)]) if s['type'] == 'RandomChoiceResize' else
              dict(s, scale=(80, 48)) if s['type'] == 'RandomResize' else
              dict(s, crop_size=(32, 32)) if s['type'] == 'RandomCrop' else s
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
