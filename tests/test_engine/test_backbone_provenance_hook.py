"""BackboneProvenanceHook writes the backbone's method/sha256 and the training run's protocol variant into
checkpoints and publishes them on load."""
from types import SimpleNamespace

import torch.nn as nn
from mmengine.logging import MessageHub

from mmssl_transfer.engine.hooks import PROVENANCE_KEY, TRAIN_VARIANT_KEY, BackboneProvenanceHook, backbone_provenance


class Detector(nn.Module):
    def __init__(self, report):
        super().__init__()
        self.backbone = nn.Conv2d(1, 1, 1)
        self.backbone.conversion_report = report


def runner_with(model, name, variant=None):
    cfg = {} if variant is None else {'transfer_task': dict(task='det', variant=variant)}
    return SimpleNamespace(model=model, message_hub=MessageHub.get_instance(name), cfg=cfg)


def test_provenance_is_read_from_report_objects_and_dicts():
    report = SimpleNamespace(method='swav', sha256='ab' * 32, kept_keys=['conv1.weight'])
    assert backbone_provenance(Detector(report)) == {'method': 'swav', 'sha256': 'ab' * 32}
    assert backbone_provenance(Detector({'method': 'byol', 'sha256': 'cd'})) == {'method': 'byol', 'sha256': 'cd'}
    assert backbone_provenance(Detector(None)) is None
    assert backbone_provenance(nn.Linear(1, 1)) is None


def test_saved_checkpoint_carries_provenance_and_loading_publishes_it():
    hook = BackboneProvenanceHook()
    trainer = runner_with(Detector(SimpleNamespace(method='byol', sha256='12' * 32)), 'provenance-train',
                          variant='bs16-linear-scaling')
    hook.before_train(trainer)
    assert trainer.message_hub.get_info(PROVENANCE_KEY) == {'method': 'byol', 'sha256': '12' * 32}
    checkpoint = {'meta': {'iter': 4}}
    hook.before_save_checkpoint(trainer, checkpoint)
    assert checkpoint['meta'] == {'iter': 4, PROVENANCE_KEY: {'method': 'byol', 'sha256': '12' * 32},
                                  TRAIN_VARIANT_KEY: 'bs16-linear-scaling'}

    tester = runner_with(Detector(None), 'provenance-test')  # a test run never calls init_weights
    hook.after_load_checkpoint(tester, checkpoint)
    assert tester.message_hub.get_info(PROVENANCE_KEY) == {'method': 'byol', 'sha256': '12' * 32}
    assert tester.message_hub.get_info(TRAIN_VARIANT_KEY) == 'bs16-linear-scaling'


def test_random_init_backbone_adds_nothing():
    hook = BackboneProvenanceHook()
    runner = runner_with(Detector(None), 'provenance-none')
    checkpoint = {'meta': {}}
    hook.before_save_checkpoint(runner, checkpoint)
    hook.after_load_checkpoint(runner, checkpoint)
    assert checkpoint == {'meta': {}} and runner.message_hub.get_info(PROVENANCE_KEY) is None
    assert runner.message_hub.get_info(TRAIN_VARIANT_KEY) is None
