# NYUv2 depth on a frozen ViT: the depth task (./pspnet_r50_nyuv2_depth.py: the normals task's data, schedule and
# PSPNet head with one depth channel, SiLog loss) with SSLViT in place of the dilated ResNet-50, frozen entirely
# (every block and the final norm, kept in eval mode), as the ViT normals base
# (../normals/pspnet_vit_nyuv2.py): the final-norm patch tokens of blocks [3, 5, 7, 11] resized to one grid and
# concatenated into the head (4 x 768 channels at stride 16, 14 for DINOv2), inputs resized to a multiple of the
# patch inside the backbone (patch_fit='resize'). DINOv2's own NYU heads (linear4, DPT) are not reproduced: the
# head is the depth task's. Widths are ViT-B's; each row's generated config sets its own (tasks.py
# ViTBase.arch_keys). Every run records the named variant 'vit-frozen-blocks'.
_base_ = ['./pspnet_r50_nyuv2_depth.py']
model = dict(
    backbone=dict(_delete_=True, type='SSLViT', checkpoint=None, out_type='featmap', out_indices=[3, 5, 7, 11],
                  patch_fit='resize', frozen_stages=12),
    decode_head=dict(in_channels=[768, 768, 768, 768], in_index=[0, 1, 2, 3], input_transform='resize_concat'))
transfer_task = dict(variant='vit-frozen-blocks')
