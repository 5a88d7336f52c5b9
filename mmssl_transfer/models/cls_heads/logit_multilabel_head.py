"""mmpretrain's multi-label linear head that also hands its logits to the metric, which ranks by them."""
from __future__ import annotations

from typing import List

import torch
from mmpretrain.models.heads import MultiLabelLinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample


@MODELS.register_module()
class LogitMultiLabelLinearClsHead(MultiLabelLinearClsHead):
    """``MultiLabelLinearClsHead`` whose predictions also carry ``pred_logits`` (the raw scores).

    The paper's ``finetune.py`` (``test_classifier``, the ``mAP`` branch) ranks the test images by the linear
    layer's float32 logits. mmpretrain's head keeps ``sigmoid(logits)`` only, which saturates to 1.0 in float32
    above a logit of about 17 and turns distinct scores into ties; ``TransferClsMetric`` prefers ``pred_logits``.
    Training, ``pred_score`` and ``pred_label`` are mmpretrain's.
    """

    def _get_predictions(self, cls_score: torch.Tensor, data_samples: List[DataSample]) -> List[DataSample]:
        data_samples = super()._get_predictions(cls_score, data_samples)
        for data_sample, logits in zip(data_samples, cls_score):
            data_sample.set_field(logits.detach(), 'pred_logits', dtype=torch.Tensor)
        return data_samples
