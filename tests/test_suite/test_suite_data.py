"""The data pre-flight of run_suite: every dataset the cells read is checked before anything starts."""
import io
from pathlib import Path

import pytest
from rich.console import Console

from mmssl_transfer.apis.suite_data import SuiteDataError
from mmssl_transfer.apis.suite_runs import run_suite
from mmssl_transfer.toy.classification import make_toy_classification

from tests.test_suite.suite_helpers import write_suite


@pytest.fixture(scope='module')
def toy_dtd(tmp_path_factory) -> Path:
    return make_toy_classification(tmp_path_factory.mktemp('data'), datasets=('dtd',)) / 'dtd'


def _suite(tmp_path, backbones, roots) -> Path:
    return write_suite(tmp_path, {'name': 'pre', 'data_roots': {k: str(v) for k, v in roots.items()},
                                  'backbones': backbones,
                                  'tasks': [{'kind': 'fakeshot', 'datasets': list(roots), 'shots': [5]}]})


def _console() -> Console:
    return Console(file=io.StringIO(), width=250)


def test_a_missing_dataset_stops_the_run_before_any_cell_or_checkpoint_download(
        tmp_path, fake_kind, toy_dtd, monkeypatch):
    import mmssl_transfer.checkpoints.identity as identity  # where checkpoint arguments are resolved

    def no_download(*args, **kwargs):
        raise AssertionError('a checkpoint was resolved (downloaded) before the data were checked')

    monkeypatch.setattr(identity, 'resolve_checkpoint', no_download)
    suite = _suite(tmp_path, ['byol'], {'dtd': toy_dtd, 'eurosat': tmp_path / 'no_eurosat'})
    console = _console()
    with pytest.raises(SuiteDataError) as err:
        run_suite(suite, tmp_path / 'out', console=console)
    message = str(err.value)
    assert message.startswith(f'{suite}: 1 of the 2 datasets this suite needs are missing or unreadable:')
    assert f'eurosat ({tmp_path / "no_eurosat"}): {tmp_path / "no_eurosat"}: dataset folder not found' in message
    assert f'fix: python tools/prepare_data.py eurosat --download --root {tmp_path / "no_eurosat"}' in message
    assert 'pass --skip-missing' in message
    table = console.file.getvalue()
    assert 'data of suite pre' in table and 'missing' in table and 'other counts' in table  # toy dtd: readable
    assert not (tmp_path / 'out' / 'results').exists()
    with pytest.raises(SuiteDataError):  # a dry run refuses the same way
        run_suite(suite, tmp_path / 'out', dry_run=True, console=_console())


def test_skip_missing_runs_the_cells_of_the_other_datasets(tmp_path, fake_kind, two_checkpoints, toy_dtd):
    backbones = [{'name': m, 'method': m, 'checkpoint': str(p)} for m, p in two_checkpoints.items()]
    suite = _suite(tmp_path, backbones, {'dtd': toy_dtd, 'eurosat': tmp_path / 'no_eurosat'})
    console = _console()
    assert run_suite(suite, tmp_path / 'out', skip_missing=True, summary=False, console=console) == 0
    text = console.file.getvalue()
    assert '--skip-missing: the cells of eurosat are skipped' in text
    results = sorted(p.name for p in (tmp_path / 'out' / 'results').glob('*.json'))
    assert len(results) == 2 and all('.fakeshot.dtd.' in r for r in results)
    console = _console()
    assert run_suite(suite, tmp_path / 'out', skip_missing=True, dry_run=True, console=console) == 0
    assert 'suite pre: 2 cells (dry run)' in console.file.getvalue()


def test_a_broken_dataset_is_named_and_toy_world_data_are_not_checked(tmp_path, fake_kind, two_checkpoints):
    (tmp_path / 'dtd').mkdir()  # a folder, but no DTD in it
    backbones = [{'name': 'byol', 'method': 'byol', 'checkpoint': str(two_checkpoints['byol'])}]
    with pytest.raises(SuiteDataError, match=rf"dtd \({tmp_path / 'dtd'}\): {tmp_path / 'dtd' / 'images'}: missing"):
        run_suite(_suite(tmp_path, backbones, {'dtd': tmp_path / 'dtd'}), tmp_path / 'out', console=_console())
    console = _console()
    assert run_suite('demo', tmp_path / 'demo', dry_run=True, console=console) == 0
    assert ('data: ade20k, clevr_count, dtd, eurosat, nyuv2, voc0712 come from the toy world the run writes '
            '(not checked)') in console.file.getvalue()
