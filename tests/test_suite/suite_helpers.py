"""Helpers of the suite tests (imported by the tests and conftest.py)."""
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def write_suite(folder: Path, data: dict, name: str = 'suite.yaml') -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def fake_suite(tmp_path: Path, checkpoints: dict, datasets=('dtd', 'eurosat'), data_roots=None) -> Path:
    data = tmp_path / 'data'
    for d in datasets:
        (data / d).mkdir(parents=True, exist_ok=True)
    roots = {d: str(data / d) for d in datasets}
    roots.update(data_roots or {})
    return write_suite(tmp_path, {
        'name': 'fake', 'data_roots': roots,
        'backbones': [{'name': m, 'method': m, 'checkpoint': str(p)} for m, p in checkpoints.items()],
        'tasks': [{'kind': 'fakeshot', 'datasets': list(datasets), 'shots': [5]}]})
