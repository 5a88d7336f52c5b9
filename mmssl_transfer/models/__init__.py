"""Models: the SSLResNet and SSLViT backbones plus task heads and losses, registered in mmdet, mmseg and mmpretrain;
the ViTDet pieces (SSLViTDet, SimpleFPN, LN2d) in mmdet.

Configs load this with ``custom_imports = dict(imports=['mmssl_transfer.models'], allow_failed_imports=False)``.
"""
from mmssl_transfer import compat

from .backbones import SSLResNet, SSLViT
from .cls_heads import LogitMultiLabelLinearClsHead
from .registration import register_in_hosts
from .vitdet import LN2d, SimpleFPN, SSLViTDet

compat.apply()
register_in_hosts(SSLResNet)
register_in_hosts(SSLViT)
for _vitdet_module in (SSLViTDet, SimpleFPN, LN2d):  # LN2d: the box head's norm_cfg=dict(type='LN2d')
    register_in_hosts(_vitdet_module, hosts=('mmdet',))

__all__ = ['LN2d', 'LogitMultiLabelLinearClsHead', 'SSLResNet', 'SSLViT', 'SSLViTDet', 'SimpleFPN',
           'register_in_hosts']
