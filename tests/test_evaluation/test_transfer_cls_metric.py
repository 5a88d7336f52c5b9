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


def _map_of(samples: list[dict]) -> float:
    metric = TransferClsMetric(metric='voc11_map')
    metric.process({}, samples)
    return metric.evaluate(len(samples))['transfer/voc11_map']


def test_voc_map_ranks_by_logits_where_float32_sigmoids_saturate_into_ties():
    """The paper's finetune.py (test_classifier, mAP branch: ``pred = output.detach()``) ranks by the logits."""
    from mmpretrain.structures import DataSample

    from mmssl_transfer.models import LogitMultiLabelLinearClsHead
    head = LogitMultiLabelLinearClsHead(num_classes=1, in_channels=1, init_cfg=None)
    with torch.no_grad():
        head.fc.weight.fill_(1.0)
        head.fc.bias.zero_()
    feats = torch.tensor([[40.0], [30.0], [20.0]])  # float32 sigmoid: 1.0 for all three
    samples = head.predict((feats,), [DataSample().set_gt_label(torch.tensor(lab)) for lab in ([0], [], [])])
    assert torch.equal(samples[0].pred_logits, feats[0]) and samples[0].pred_score.item() == 1.0
    assert _map_of([s.to_dict() for s in samples]) == pytest.approx(100.0)
    # without the logits the three tie: one threshold at precision 1/3, plus sklearn's (0, 1) point
    no_logits = [{k: v for k, v in s.to_dict().items() if k != 'pred_logits'} for s in samples]
    assert _map_of(no_logits) == pytest.approx(100 * (1 + 10 / 3) / 11)


def test_voc_finetune_config_uses_the_logit_head():
    from mmengine.config import Config

    from mmssl_transfer.project_files import configs_dir
    cfg = Config.fromfile(str(configs_dir() / '_base_/cls/finetune_voc2007.py'))
    assert cfg.model.head.type == 'LogitMultiLabelLinearClsHead'
