"""results.py is the one way from a run to its record: no other module assembles a TransferResult, the variant is
named against the task's paper settings, and the suite writes and the analysis reads one store layout."""
import ast
from pathlib import Path

import pytest

from mmssl_transfer.results import (PAPER_VARIANT, RecordedBackbone, make_record, published_record, result_variant,
                                    store_failure_file, store_info_file, store_result_file)
from mmssl_transfer.tasks import PAPER_FEWSHOT_PROTOCOL, PAPER_LINEAR_PROTOCOL, TASKS

PACKAGE = Path(__file__).resolve().parents[1] / 'mmssl_transfer'
TOOLS = Path(__file__).resolve().parents[1] / 'tools'


def _builds_a_record(path: Path) -> list[int]:
    """Lines of ``path`` that call ``TransferResult(...)`` (by name or attribute)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.Call):
            name = getattr(node.func, 'id', None) or getattr(node.func, 'attr', None)
            if name == 'TransferResult':
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize('path', sorted(PACKAGE.rglob('*.py')) + sorted(TOOLS.glob('*.py')),
                         ids=lambda p: str(p.relative_to(p.parents[1])))
def test_no_module_but_results_builds_a_record_by_hand(path):
    if path == PACKAGE / 'results.py':
        assert _builds_a_record(path)  # the builders live here (the check itself sees them)
        return
    assert not _builds_a_record(path), f'{path} builds a TransferResult by hand: use results.make_record'


def test_make_record_names_the_departures_from_the_tasks_paper_settings():
    backbone = RecordedBackbone('byol', 'ab' * 32)
    paper = make_record('linear', backbone, dataset='dtd', protocol='paper', metrics={'accuracy': 70},
                        primary_metric='accuracy', settings=dict(PAPER_LINEAR_PROTOCOL), hparams={'C': 1.0})
    assert paper.paper_protocol is True and paper.hparams == {'C': 1.0, 'variant': PAPER_VARIANT}
    assert (paper.method, paper.checkpoint_sha256, paper.config) == ('byol', 'ab' * 32, 'tools/linear_probe.py')
    settings = dict(PAPER_FEWSHOT_PROTOCOL, transform='linear_eval', n_episodes=100)
    other = make_record('fewshot', backbone, dataset='dtd', protocol='5way-5shot', metrics={'accuracy': 50},
                        settings=settings, departures=['caltech_split=seeded30'])
    assert other.hparams['variant'] == 'transform=linear_eval+n_episodes=100+caltech_split=seeded30'
    assert other.paper_protocol is False and other.primary_metric == 'accuracy'


def test_config_runs_name_their_variant_and_unstated_ones_stay_unknown():
    backbone = RecordedBackbone('custom', '')
    run = make_record('det', backbone, dataset='voc0712', protocol='frozen', metrics={'AP': 50},
                      variant=result_variant('paper', 'bs16-linear-scaling'), config='x.py')
    assert run.hparams['variant'] == 'bs16-linear-scaling' and run.paper_protocol is False
    unknown = make_record('det', backbone, dataset='voc0712', protocol='frozen', metrics={'AP': 50}, config='x.py')
    assert unknown.paper_protocol is None and 'variant' not in unknown.hparams


def test_a_task_without_a_paper_protocol_never_claims_it():
    """Depth has no protocol in the paper: its default is the named 'normals-protocol' variant, and even a config
    or settings that look like 'paper' give paper_protocol False."""
    backbone = RecordedBackbone('byol', '')
    kw = dict(dataset='nyuv2', protocol='frozen', metrics={'rmse': 0.6}, config='x.py')
    default = make_record('depth', backbone, variant=result_variant('normals-protocol', 'normals-protocol',
                                                                    'normals-protocol'), **kw)
    assert default.hparams['variant'] == 'normals-protocol' and default.paper_protocol is False
    assert default.primary_metric == 'rmse' and default.pretraining_data == 'imagenet-1k'
    trained = make_record('depth', backbone, variant=result_variant('normals-protocol', 'virb-224-l1',
                                                                    'normals-protocol'), **kw)
    assert trained.hparams['variant'] == 'virb-224-l1' and trained.paper_protocol is False
    assert make_record('depth', backbone, variant=PAPER_VARIANT, **kw).paper_protocol is False
    at_defaults = make_record('depth', backbone, settings=dict(TASKS['depth'].default_settings), **kw)
    assert at_defaults.hparams['variant'] == 'normals-protocol' and at_defaults.paper_protocol is False
    longer = make_record('depth', backbone, settings=dict(TASKS['depth'].default_settings, max_iters=100), **kw)
    assert longer.hparams['variant'] == 'max_iters=100' and longer.paper_protocol is False


def test_records_carry_the_pretraining_data_the_run_states_else_the_zoos():
    kw = dict(dataset='dtd', protocol='paper', metrics={'accuracy': 50.0}, primary_metric='accuracy')
    assert make_record('linear', RecordedBackbone('byol', ''), **kw).pretraining_data == 'imagenet-1k'
    assert make_record('linear', RecordedBackbone('custom', ''), **kw).pretraining_data == 'unknown'
    assert make_record('linear', RecordedBackbone('custom', ''), pretraining_data='places365',
                       **kw).pretraining_data == 'places365'


def test_published_numbers_are_paper_protocol_records():
    record = published_record('seg', 'ade20k', 'seg', 'byol', {'mIoU': 0.4}, 'mIoU', 'paper:dense.csv')
    assert record.paper_protocol is True and record.config == 'paper' and record.extra == {'source': 'paper:dense.csv'}


def test_the_suite_and_the_analysis_share_the_store_layout(tmp_path):
    from mmssl_transfer.suite.store import ResultStore

    store = ResultStore(tmp_path)
    assert store.result_file('c') == store_result_file(tmp_path, 'c') == tmp_path / 'results' / 'c.json'
    assert store.failure_file('c') == store_failure_file(tmp_path, 'c') == tmp_path / 'failed' / 'c.json'
    assert store_info_file(tmp_path) == tmp_path / 'suite.json'
