"""Losses (registered in mmseg's MODELS)."""
from .cosine_normal_loss import CosineNormalLoss

__all__ = ['CosineNormalLoss']
