# DINOv2's patch 14 (the faster-rcnn_vit14_* task bases apply `patch14` to their patch-16 base's model): the
# SimpleFPN levels sit at 14 / 4 = 3.5, 7, 14, 28 and 56 pixels (SimpleFPN.strides(14)), and the anchors and RoI
# pooling use these true strides; anchor sizes stay 32-512 (base_sizes 4-64 x scale 8, as at patch 16). Images
# are padded to a multiple of 28 (two patches: the 1/28 max-pool level is exact); SSLViTDet itself pads an input
# to a multiple of the patch if it is not one.
patch14 = dict(
    data_preprocessor=dict(pad_size_divisor=28),
    rpn_head=dict(anchor_generator=dict(base_sizes=[4, 8, 16, 32, 64], strides=[3.5, 7, 14, 28, 56])),
    roi_head=dict(bbox_roi_extractor=dict(featmap_strides=[3.5, 7, 14, 28])))
