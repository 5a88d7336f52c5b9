"""Models: the SSLResNet and SSLViT backbones plus task heads and losses, registered in mmdet, mmseg and mmpretrain.

Configs load this with ``custom_imports = dict(imports=['mmssl_transfer.models'], allow_failed_imports=False)``.
"""
from mmssl_transfer import compat

from .backbones import SSLResNet, SSLViT
from .cls_heads import LogitMultiLabelLinearClsHead
from .registration import register_in_hosts

compat.apply()
register_in_hosts(SSLResNet)
register_in_hosts(SSLViT)

__all__ = ['LogitMultiLabelLinearClsHead', 'SSLResNet', 'SSLViT', 'register_in_hosts']
