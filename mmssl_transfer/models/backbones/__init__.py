"""Backbones."""
from .ssl_resnet import SSLResNet
from .ssl_vit import VIT_FEATURES, SSLViT

__all__ = ['SSLResNet', 'SSLViT', 'VIT_FEATURES']
