"""Losses (registered in mmseg's MODELS)."""
from .cosine_normal_loss import CosineNormalLoss
from .global_mean_cross_entropy_loss import GlobalMeanCrossEntropyLoss

__all__ = ['CosineNormalLoss', 'GlobalMeanCrossEntropyLoss']
