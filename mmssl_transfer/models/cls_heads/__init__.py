"""Classification heads (registered in mmpretrain's MODELS)."""
from .logit_multilabel_head import LogitMultiLabelLinearClsHead

__all__ = ['LogitMultiLabelLinearClsHead']
