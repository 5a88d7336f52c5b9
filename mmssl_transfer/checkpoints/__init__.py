"""The model zoo and checkpoint conversion: any supported self-supervised ResNet-50 release -> torchvision names,
any ViT release -> mmpretrain ``VisionTransformer`` names.

    from mmssl_transfer.checkpoints import ZOO, get_method, convert, CheckpointError
    conversion = convert('moco_v2_800ep_pretrain.pth.tar')          # method detected
    conversion.state_dict                                           # torchvision ResNet-50 keys, no fc
    conversion.report                                               # method, kept/dropped keys, sha256, ...
    loaded, explanation = explain('weights.pth')                   # why the format was (not) recognised

This package imports no model class and none of mmdet/mmseg/mmpretrain (torch, numpy, safetensors, rich only).
"""
from .convert import Conversion, ConversionReport, convert, convert_file, explain, save_converted
from .download import DownloadError, default_cache_dir, download, resolve_checkpoint, zoo_method_named
from .errors import CheckpointError
from .formats import Detection, Explanation, detect_format, explain_format
from .report import explanation_tables, print_explanation, print_report, report_table
from .resnet_layout import resnet50_shapes
from .safe_load import LoadedCheckpoint, load_checkpoint
from .vit_layout import ViTArch, vit_shapes
from .zoo import ALL_METHODS, NORMALIZATIONS, VIT_ZOO, ZOO, MethodSpec, ambiguous_candidates, find_method, get_method

__all__ = [
    'ZOO', 'MethodSpec', 'NORMALIZATIONS', 'get_method', 'find_method', 'detect_format', 'Detection', 'convert',
    'Conversion', 'ConversionReport', 'convert_file', 'CheckpointError', 'DownloadError', 'save_converted',
    'resolve_checkpoint', 'download', 'default_cache_dir', 'load_checkpoint', 'LoadedCheckpoint',
    'resnet50_shapes', 'report_table', 'print_report', 'explain', 'explain_format', 'Explanation',
    'explanation_tables', 'print_explanation', 'zoo_method_named', 'ambiguous_candidates', 'VIT_ZOO', 'ALL_METHODS',
    'ViTArch', 'vit_shapes',
]
