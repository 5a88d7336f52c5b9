"""Evaluation as mmdet and mmseg lay it out: ``functional/`` computes, ``metrics/`` gathers and registers.

Importing this package registers every metric class (configs reach them with
``custom_imports=dict(imports=['mmssl_transfer.evaluation'])``); the maths is in
:mod:`mmssl_transfer.evaluation.functional`.
"""
from .metrics import NormalAngularMetric, TransferClsMetric, VOCMultiIoUMetric

__all__ = ['NormalAngularMetric', 'TransferClsMetric', 'VOCMultiIoUMetric']
