# Faster R-CNN on a plain ViT as ViTDet builds it (Li et al., ECCV 2022; our pieces in mmssl_transfer/models/vitdet.py):
# the project's ViT wrapper for detection (SSLViTDet: strict load of every zoo ViT layout) gives the last block's
# map, through the final norm, at the patch stride; SimpleFPN turns it into five levels (deconvolutions to 1/4 and
# 1/8 of the image, the map at 1/16, a max-pool to 1/32, and ViTDet's LastLevelMaxPool for 1/64), LN2d in the neck;
# the RPN has two 3x3 convs and the box head four 3x3 convs with LN2d and one FC (ViTDet's
# FastRCNNConvFCHead(conv_dims=[256] * 4, fc_dims=[1024], conv_norm='LN')). Everything else is the ResNet base's
# (detectron2's rules: RPN low-quality matches at any IoU, c2_xavier_fill of the FC, 20 VOC classes).
# Strides here are for patch 16; DINOv2's patch 14 gives 3.5, 7, 14, 28, 56 (./simplefpn_patch14.py, used by the
# faster-rcnn_vit14_* task bases). The per-method backbone file fills in `method`/`checkpoint`; the frozen and
# finetune task bases set the attention and what trains.
_base_ = './faster-rcnn_ssl_r50_fpn.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='SSLViTDet',
        checkpoint=None,
        method='auto',
        out_indices=(-1,),
        window_size=0,
        frozen_stages=-1),
    neck=dict(_delete_=True, type='SimpleFPN', in_channels=768, out_channels=256, scale_factors=(4.0, 2.0, 1.0, 0.5),
              num_outs=5),
    rpn_head=dict(num_convs=2,
                  anchor_generator=dict(base_sizes=[4, 8, 16, 32, 64], strides=[4, 8, 16, 32, 64])),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=256, norm_cfg=dict(type='LN2d'))))
