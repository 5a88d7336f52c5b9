"""Backbones."""
from .ssl_resnet import SSLResNet

__all__ = ['SSLResNet']
