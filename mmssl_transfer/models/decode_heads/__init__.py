"""Decode heads (registered in mmseg's MODELS)."""
from .depth_psp_head import DepthPSPHead
from .label_downsampling import DownsampledLabelUPerHead, LabelDownsampleMixin, nearest_downsample
from .linear_bn_head import LinearBNHead
from .normal_psp_head import NormalPSPHead

__all__ = ['DepthPSPHead', 'DownsampledLabelUPerHead', 'LabelDownsampleMixin', 'LinearBNHead', 'NormalPSPHead',
           'nearest_downsample']
