# Detection transfer of a ViT (patch 16), FROZEN: every parameter of the ViT frozen (frozen_stages='all': patch
# and position embeddings, CLS, blocks, final norm; kept in eval mode), global attention as pretrained, no
# relative positions: the backbone computes exactly what it computed in pretraining (its final-norm patch tokens
# of the last block). SimpleFPN, RPN and the 4conv1fc box head train. Not the paper's protocol (its detection is
# ResNet-50's, with FPN over four stages): runs record the named variant 'vitdet-frozen'.
# What is the paper's detection protocol, inherited unchanged: VOC07+12 trainval with difficult boxes, the
# ~800-1333 px scales and test scale, total batch 2, SGD lr 0.0025 (momentum 0.9, wd 1e-4), 144k iterations with
# steps at 96k/128k and 100 warm-up iterations (the SGD recipe trains the new neck and heads, as it trains the
# paper's FPN and heads). What changes and why: the ViT is frozen whole (a plain ViT has no stages to leave
# trainable), SimpleFPN and LN2d replace FPN (one ViT map, no BN), the box head is ViTDet's 4conv1fc with LN2d.
# AMP is recommended on a GPU (tools/train.py --amp; recorded as a variant).
_base_ = [
    '../models/faster-rcnn_ssl_vit_simplefpn.py', '../datasets/voc0712_det.py',
    '../schedules/det_voc_144k.py', '../det_runtime.py'
]
model = dict(backbone=dict(frozen_stages='all', window_size=0))
transfer_task = dict(task='det', dataset='voc0712', protocol='frozen', primary_metric='AP', variant='vitdet-frozen',
                     total_batch_size=2)
