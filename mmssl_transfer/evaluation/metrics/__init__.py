"""The registered mmengine metrics: one class per file, the file named after its class.

Importing this package registers them: ``NormalAngularMetric`` in mmseg's METRICS, ``TransferClsMetric`` in
mmpretrain's, ``VOCMultiIoUMetric`` in mmdet's.
"""
from .normal_angular_metric import NormalAngularMetric
from .transfer_cls_metric import TransferClsMetric
from .voc_multi_iou_metric import VOCMultiIoUMetric

__all__ = ['NormalAngularMetric', 'TransferClsMetric', 'VOCMultiIoUMetric']
