"""TransferClsMetric gathers mmpretrain predictions and reduces them with the functional metrics."""
import pytest
import torch

from mmssl_transfer.evaluation.metrics import TransferClsMetric


def test_single_label_metric_with_calibration():
    metric = TransferClsMetric(metric='mean_per_class', calibration=True)
    samples = [{'pred_score': torch.tensor([0.8, 0.2]), 'gt_label': torch.tensor([0])},
               {'pred_score': torch.tensor([0.7, 0.3]), 'gt_label': torch.tensor([0])},
               {'pred_score': torch.tensor([0.4, 0.6]), 'gt_label': torch.tensor([1])},
               {'pred_score': torch.tensor([0.9, 0.1]), 'gt_label': torch.tensor([1])}]
    metric.process({}, samples)
    out = metric.evaluate(len(samples))
    assert out['transfer/mean_per_class'] == pytest.approx(75.0)
    assert {'transfer/ece', 'transfer/ece_temperature_scaled', 'transfer/temperature'} <= set(out)


def test_multilabel_metric_uses_positive_ids():
    metric = TransferClsMetric(metric='voc11_map')
    samples = [{'pred_score': torch.tensor([0.9, 0.1, 0.8]), 'gt_label': torch.tensor([0, 2])},
               {'pred_score': torch.tensor([0.1, 0.9, 0.2]), 'gt_label': torch.tensor([1])}]
    metric.process({}, samples)
    assert metric.evaluate(2)['transfer/voc11_map'] == pytest.approx(100.0)


def test_unknown_metric_is_refused():
    with pytest.raises(ValueError, match='top5'):
        TransferClsMetric(metric='top5')
