"""Models: the SSLResNet backbone plus task heads and losses, registered in mmdet, mmseg and mmpretrain.

Configs load this with ``custom_imports = dict(imports=['mmssl_transfer.models'], allow_failed_imports=False)``.
"""
from mmssl_transfer import compat

from .backbones import SSLResNet
from .cls_heads import LogitMultiLabelLinearClsHead
from .registration import register_in_hosts

compat.apply()
register_in_hosts(SSLResNet)

__all__ = ['LogitMultiLabelLinearClsHead', 'SSLResNet', 'register_in_hosts']
