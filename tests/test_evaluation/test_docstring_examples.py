"""The runnable ``Examples:`` of the registered metrics and of ``SSLResNet`` (as mmpretrain's class docstrings
have) hold."""
import doctest
import importlib

import pytest


@pytest.mark.parametrize('name', ['mmssl_transfer.evaluation.metrics.transfer_cls_metric',
                                  'mmssl_transfer.evaluation.metrics.voc_multi_iou_metric',
                                  'mmssl_transfer.evaluation.metrics.normal_angular_metric',
                                  'mmssl_transfer.models.backbones.ssl_resnet'])
def test_class_docstring_examples_hold(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
