"""Losses (registered in mmseg's MODELS)."""
from .cosine_normal_loss import CosineNormalLoss
from .depth_l1_loss import DepthL1Loss
from .global_mean_cross_entropy_loss import GlobalMeanCrossEntropyLoss

__all__ = ['CosineNormalLoss', 'DepthL1Loss', 'GlobalMeanCrossEntropyLoss']
