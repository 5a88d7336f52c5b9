"""Segmentors (registered in mmseg's MODELS)."""
from .depth_estimator import CheckedDepthEstimator
from .normal_encoder_decoder import NormalEncoderDecoder

__all__ = ['CheckedDepthEstimator', 'NormalEncoderDecoder']
