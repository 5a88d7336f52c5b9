"""Segmentors (registered in mmseg's MODELS)."""
from .normal_encoder_decoder import NormalEncoderDecoder

__all__ = ['NormalEncoderDecoder']
