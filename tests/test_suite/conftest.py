"""Fixtures of the suite tests: a stand-in probe kind and toy checkpoints."""
from pathlib import Path

import pytest

from tests.test_suite.suite_helpers import HERE


@pytest.fixture
def fake_kind(monkeypatch):
    """Registers kind 'fakeshot': fake_probe.py (this folder) behind the real Probe command machinery.

    Only the suite-machinery tests use it; the shipped table targets the real tools.
    """
    from mmssl_transfer.suite.kinds import _PROBE_ARGS, KINDS, CellKind, Probe
    kind = CellKind(task='fewshot', datasets=('dtd', 'eurosat', 'broken'), protocols=('prototypical',),
                    protocol_label='{ways}way-{shots}shot', variant_keys={'ways': [5], 'shots': [5]},
                    runner=Probe(tool=str(HERE / 'fake_probe.py'), args=_PROBE_ARGS,
                                 variant_args={'ways': ('--ways', '{ways}'), 'shots': ('--shots', '{shots}')}))
    monkeypatch.setitem(KINDS, 'fakeshot', kind)
    return kind


@pytest.fixture
def two_checkpoints(tmp_path_factory, toy_checkpoints):
    """(byol, mocov2) toy checkpoint paths in their original layouts."""
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    return {m: Path(toy_checkpoint_path(toy_checkpoints, m)) for m in ('byol', 'mocov2')}
