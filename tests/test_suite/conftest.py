"""Fixtures of the suite tests: a stand-in probe kind and toy checkpoints."""
from pathlib import Path

import pytest

from tests.test_suite.suite_helpers import HERE


@pytest.fixture
def fake_kind(monkeypatch):
    """Registers kind 'fakeshot': fake_probe.py (this folder) behind the real Probe command machinery.

    Only the suite-machinery tests use it; the shipped table targets the real tools.
    """
    from mmssl_transfer.tasks import PROBE_OPTIONS, TASKS, Probe, TaskSpec
    kind = TaskSpec(name='fewshot', family='probe', datasets=('dtd', 'eurosat', 'broken'),
                    protocols=('prototypical',), category=TASKS['fewshot'].category, paper=TASKS['fewshot'].paper,
                    primary_metric='accuracy',
                    tables=(), protocol_label='{ways}way-{shots}shot', grid={'ways': [5], 'shots': [5]},
                    runner=Probe(tool=str(HERE / 'fake_probe.py'), options=PROBE_OPTIONS,
                                 grid_options=('ways', 'shots')))
    monkeypatch.setitem(TASKS, 'fakeshot', kind)
    return kind


@pytest.fixture
def two_checkpoints(tmp_path_factory, toy_checkpoints):
    """(byol, mocov2) toy checkpoint paths in their original layouts."""
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    return {m: Path(toy_checkpoint_path(toy_checkpoints, m)) for m in ('byol', 'mocov2')}


@pytest.fixture
def batch_two_kind(monkeypatch):
    """A stand-in training kind with a total batch of 2 (one process per cell: the count shows in its devices)."""
    from mmssl_transfer.tasks import PROBE_OPTIONS, TASKS, PaperSetting, Probe, TaskSpec
    kind = TaskSpec(name='fewshot', family='probe', datasets=('dtd', 'eurosat'), protocols=('prototypical',),
                    category=TASKS['fewshot'].category, paper=(PaperSetting('total_batch_size', 2, 'toy'),),
                    primary_metric='accuracy', tables=(), protocol_label='{ways}way-{shots}shot',
                    grid={'ways': [5], 'shots': [5]},
                    runner=Probe(tool=str(HERE / 'fake_probe.py'), options=PROBE_OPTIONS,
                                 grid_options=('ways', 'shots'), distributed=False))
    monkeypatch.setitem(TASKS, 'fakeshot', kind)
    return kind
