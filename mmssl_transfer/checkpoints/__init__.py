"""The model zoo and checkpoint conversion: any supported self-supervised ResNet-50 release -> torchvision names,
any ViT release -> mmpretrain ``VisionTransformer`` names.

    from mmssl_transfer.checkpoints import ZOO, get_method, convert, CheckpointError
    identity = identify('moco-v2')                                  # a file, URL or zoo name, resolved once
    identity.method, identity.sha256, identity.normalization        # what records and caches key on
    conversion = convert('moco_v2_800ep_pretrain.pth.tar')          # method detected
    conversion.state_dict                                           # torchvision ResNet-50 keys, no fc
    conversion.report                                               # method, kept/dropped keys, sha256, ...
    loaded, explanation = explain('weights.pth')                   # why the format was (not) recognised

This package imports no model class and none of mmdet/mmseg/mmpretrain (torch, numpy, safetensors, rich only).
"""
from .convert import Conversion, ConversionReport, convert, explain, save_converted
from .download import DownloadError, default_cache_dir, download, resolve_checkpoint
from .errors import CheckpointError
from .formats import Detection, Explanation, detect_format, explain_format
from .identity import BackboneIdentity, IdentityMemo, convert_file, identify, requested_method
from .report import explanation_tables, print_explanation, print_report, report_table
from .resnet_layout import resnet50_shapes
from .safe_load import LoadedCheckpoint, load_checkpoint
from .vit_layout import ViTArch, vit_shapes
from .zoo import (ALL_METHODS, NORMALIZATIONS, UNKNOWN_PRETRAINING_DATA, VIT_ZOO, ZOO, MethodSpec, ambiguous_candidates,
                  find_method, get_method, pretraining_data_of)

__all__ = [
    'ZOO', 'MethodSpec', 'NORMALIZATIONS', 'get_method', 'find_method', 'detect_format', 'Detection', 'convert',
    'Conversion', 'ConversionReport', 'convert_file', 'CheckpointError', 'DownloadError', 'save_converted',
    'resolve_checkpoint', 'download', 'default_cache_dir', 'load_checkpoint', 'LoadedCheckpoint',
    'resnet50_shapes', 'report_table', 'print_report', 'explain', 'explain_format', 'Explanation',
    'explanation_tables', 'print_explanation', 'ambiguous_candidates', 'identify', 'BackboneIdentity',
    'IdentityMemo', 'requested_method', 'pretraining_data_of',
    'UNKNOWN_PRETRAINING_DATA',
    'VIT_ZOO', 'ALL_METHODS', 'ViTArch', 'vit_shapes',
]
