"""Helpers of the suite tests: suite files written on the fly, a stand-in probe kind, hand-made results."""
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def write_suite(folder: Path, data: dict, name: str = 'suite.yaml') -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def fake_kind(monkeypatch):
    """Registers kind 'fakeshot': fake_probe.py (this folder) behind the real Probe command machinery.

    Only the suite-machinery tests use it; the shipped table targets the real tools.
    """
    from mmssl_transfer.suite.kinds import KINDS, CellKind, Probe, _PROBE_ARGS
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


def fake_suite(tmp_path: Path, checkpoints: dict, datasets=('dtd', 'eurosat'), data_roots=None) -> Path:
    data = tmp_path / 'data'
    for d in datasets:
        (data / d).mkdir(parents=True, exist_ok=True)
    roots = {d: str(data / d) for d in datasets}
    roots.update(data_roots or {})
    return write_suite(tmp_path, {
        'name': 'fake', 'data_roots': roots,
        'backbones': [{'name': m, 'method': m, 'checkpoint': str(p)} for m, p in checkpoints.items()],
        'tasks': [{'kind': 'fakeshot', 'datasets': list(datasets), 'shots': [5, 20]}]})


@pytest.fixture
def python() -> str:
    return sys.executable
