"""Decode heads (registered in mmseg's MODELS)."""
from .normal_psp_head import NormalPSPHead

__all__ = ['NormalPSPHead']
