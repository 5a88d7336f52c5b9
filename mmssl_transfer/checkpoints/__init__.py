"""The model zoo and checkpoint conversion: any supported self-supervised ResNet-50 release -> torchvision names.

    from mmssl_transfer.checkpoints import ZOO, get_method, convert, CheckpointError
    conversion = convert('moco_v2_800ep_pretrain.pth.tar')          # method detected
    conversion.state_dict                                           # torchvision ResNet-50 keys, no fc
    conversion.report                                               # method, kept/dropped keys, sha256, ...

This package imports no model class and none of mmdet/mmseg/mmpretrain (torch, numpy, safetensors, rich only).
"""
from .convert import Conversion, ConversionReport, convert, convert_file, save_converted
from .download import DownloadError, default_cache_dir, download, resolve_checkpoint
from .errors import CheckpointError
from .formats import Detection, detect_format
from .report import print_report, report_table
from .resnet_layout import resnet50_shapes
from .safe_load import LoadedCheckpoint, load_checkpoint
from .zoo import NORMALIZATIONS, ZOO, MethodSpec, find_method, get_method

__all__ = [
    'ZOO', 'MethodSpec', 'NORMALIZATIONS', 'get_method', 'find_method', 'detect_format', 'Detection', 'convert',
    'Conversion', 'ConversionReport', 'convert_file', 'CheckpointError', 'DownloadError', 'save_converted',
    'resolve_checkpoint', 'download', 'default_cache_dir', 'load_checkpoint', 'LoadedCheckpoint',
    'resnet50_shapes', 'report_table', 'print_report',
]
