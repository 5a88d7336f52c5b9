# Variant of the detection protocol: mmdet's own defaults where the paper's framework, detectron2, differs (the
# default configs take detectron2's; see tests/test_det/test_detectron2_rules.py): VOC boxes [x1-1, y1-1, x2-1,
# y2-1] in integer pixels with the VOC devkit's +1 IoU, cv2 resizing, RPN low-quality matches floored at IoU 0.3,
# Xavier-uniform init of the FPN and the box head's FCs.
_cv2 = dict(backend='cv2')
train_dataloader = dict(dataset=dict(datasets=[
    dict(d, box_convention='mmdet', pipeline=[dict(s, **_cv2) if 'Resize' in s['type'] else s for s in d['pipeline']])
    for d in _base_.train_dataloader.dataset.datasets]))
test_dataloader = dict(dataset=dict(
    box_convention='mmdet',
    pipeline=[dict(s, **_cv2) if 'Resize' in s['type'] else s for s in _base_.test_dataloader.dataset.pipeline]))
val_dataloader = test_dataloader
val_evaluator = dict(use_legacy_coordinate=True)
test_evaluator = val_evaluator
model = dict(
    neck=dict(init_cfg=dict(_delete_=True, type='Xavier', layer='Conv2d', distribution='uniform')),
    roi_head=dict(bbox_head=dict(init_cfg=[
        dict(type='Normal', std=0.01, override=dict(name='fc_cls')),
        dict(type='Normal', std=0.001, override=dict(name='fc_reg')),
        dict(type='Xavier', distribution='uniform',
             override=[dict(name='shared_fcs'), dict(name='cls_fcs'), dict(name='reg_fcs')])])),
    train_cfg=dict(rpn=dict(assigner=dict(min_pos_iou=0.3))))
transfer_task = dict(variant='mmdet-defaults')
