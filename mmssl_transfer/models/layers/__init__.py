"""Small layers shared by our models."""
from .tf_same_padding import SAME_PADDED_LAYERS, Conv2dTFSame, MaxPool2dTFSame, tf_same_pad, use_tf_same_padding

__all__ = ['SAME_PADDED_LAYERS', 'Conv2dTFSame', 'MaxPool2dTFSame', 'tf_same_pad', 'use_tf_same_padding']
