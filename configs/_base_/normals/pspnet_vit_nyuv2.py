# NYUv2 surface normals on a frozen ViT: the normals task (./pspnet_r50_nyuv2.py: data, 40-cluster PSPNet head,
# SGD lr 0.02, poly 0.9, 13,500 iterations, total batch 2, test at short side 450) with SSLViT in place of the
# dilated ResNet-50, frozen as the task freezes the ResNet: every block and the final norm, kept in eval mode. The
# head reads the final-norm patch tokens of blocks 4, 6, 8 and 12 (out_indices [3, 5, 7, 11], the blocks of the
# ViT UPerNet recipe), resized to one grid and concatenated (mmseg's input_transform 'resize_concat', as DINOv2's
# frozen dense heads): 4 x 768 channels at stride 16 (14 for DINOv2), where the ResNet gives 2048 at stride 8; the
# head's logits are resized to the 1/8 ground truth as before. Inputs whose sides are not a multiple of the patch
# are resized to the nearest multiple inside the backbone (patch_fit='resize': short side 450 -> 448 for patch 16
# and 14). Widths are ViT-B's; each row's generated config sets its own (tasks.py ViTBase.arch_keys). Not the paper's
# protocol (a ResNet-50 task): every run records the named variant 'vit-frozen-blocks'.
_base_ = ['./pspnet_r50_nyuv2.py']
model = dict(
    backbone=dict(_delete_=True, type='SSLViT', checkpoint=None, out_type='featmap', out_indices=[3, 5, 7, 11],
                  patch_fit='resize', frozen_stages=12),
    decode_head=dict(in_channels=[768, 768, 768, 768], in_index=[0, 1, 2, 3], input_transform='resize_concat'))
transfer_task = dict(variant='vit-frozen-blocks')
