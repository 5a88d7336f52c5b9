"""Each backbone's pretraining data: the zoo's rows, what a record carries, and how a user states it."""
import argparse

import pytest

from mmssl_transfer.checkpoints import UNKNOWN_PRETRAINING_DATA, ZOO, pretraining_data_of
from mmssl_transfer.probes.cli import add_backbone_args, stamp_pretraining_data
from mmssl_transfer.results import TransferResult, read_result, write_result


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


def test_probe_flag_stamps_every_result_and_the_record_round_trips(tmp_path):
    parser = argparse.ArgumentParser()
    add_backbone_args(parser)
    args = parser.parse_args(['--checkpoint', 'x.pth', '--pretraining-data', 'places365'])
    results = [TransferResult(task='linear', dataset='dtd', protocol='paper', method=m, checkpoint_sha256='',
                              metrics={'accuracy': 50.0}, primary_metric='accuracy') for m in ('custom', 'byol')]
    stamp_pretraining_data(results, args.pretraining_data)
    assert [r.pretraining_data for r in results] == ['places365', 'places365']
    stamp_pretraining_data(results, None)
    assert [r.pretraining_data for r in results] == ['unknown', 'imagenet-1k']
    assert read_result(write_result(tmp_path / 'r.json', results[1])).pretraining_data == 'imagenet-1k'
