"""Each backbone's pretraining data: the zoo's rows, what a record carries, and how a user states it."""
import argparse

import pytest

from mmssl_transfer.checkpoints import UNKNOWN_PRETRAINING_DATA, ZOO, pretraining_data_of
from mmssl_transfer.probes.cli import add_backbone_args
from mmssl_transfer.results import RecordedBackbone, make_record, read_result, write_result


def test_every_zoo_row_was_pretrained_on_imagenet_1k():
    assert {spec.pretraining_data for spec in ZOO.values()} == {'imagenet-1k'}


@pytest.mark.parametrize('method,stated,expected', [
    ('mocov2', None, 'imagenet-1k'),
    ('ambiguous: mocov1, pclv1', None, 'imagenet-1k'),  # both rows agree
    ('custom', None, UNKNOWN_PRETRAINING_DATA),
    ('custom', 'places365', 'places365'),
    ('byol', 'imagenet-1k-unbalanced', 'imagenet-1k-unbalanced'),  # what the run states wins
])
def test_a_record_takes_the_stated_data_else_the_zoo_rows(method, stated, expected):
    assert pretraining_data_of(method, stated) == expected


def test_probe_flag_reaches_the_record_and_the_record_round_trips(tmp_path):
    """The probes' ``--pretraining-data`` goes into results.make_record, which falls back to the zoo row's."""
    parser = argparse.ArgumentParser()
    add_backbone_args(parser)
    args = parser.parse_args(['--checkpoint', 'x.pth', '--pretraining-data', 'places365'])
    kw = dict(dataset='dtd', protocol='paper', metrics={'accuracy': 50.0}, primary_metric='accuracy')
    results = [make_record('linear', RecordedBackbone(m, ''), pretraining_data=args.pretraining_data, **kw)
               for m in ('custom', 'byol')]
    assert [r.pretraining_data for r in results] == ['places365', 'places365']
    results = [make_record('linear', RecordedBackbone(m, ''), **kw) for m in ('custom', 'byol')]
    assert [r.pretraining_data for r in results] == ['unknown', 'imagenet-1k']
    assert read_result(write_result(tmp_path / 'r.json', results[1])).pretraining_data == 'imagenet-1k'


@pytest.mark.parametrize('tool', ['linear_probe.py', 'fewshot.py', 'finetune_sweep.py'])
def test_every_probe_tool_takes_the_flag(tool, capsys):
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / 'tools' / tool
    spec = importlib.util.spec_from_file_location(f'_tool_{path.stem}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(SystemExit):
        module.main(['--help'])
    assert '--pretraining-data' in capsys.readouterr().out
