"""Decode heads (registered in mmseg's MODELS)."""
from .depth_psp_head import DepthPSPHead
from .label_downsampling import DownsampledLabelUPerHead, LabelDownsampleMixin, nearest_downsample
from .normal_psp_head import NormalPSPHead

__all__ = ['DepthPSPHead', 'DownsampledLabelUPerHead', 'LabelDownsampleMixin', 'NormalPSPHead',
           'nearest_downsample']
