"""``run_suite.py --gpus 2 --max-parallel 1`` gives each cell the GPUs it can use (a train/test cell runs through
dist_train.sh / dist_test.sh on both; the linear probe is one GPU's work, its row's ``max_gpus``) and stores the
numbers of ``--gpus 1``: identical for the linear probe, within the training bound of
test_tools_on_two_processes for a normals cell (random pipeline parts fixed)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mmssl_transfer.results import read_result

from .conftest import REPO, tool_env
from .test_tools_on_two_processes import METRIC_ATOL
from tests.test_suite.suite_helpers import write_suite

NORMALS_OPTIONS = {  # width-8 PSPNet, 80x48 inputs, 2 steps of 2 images; one scale (the paper: no flip), no dropout
    'model.backbone.base_channels': 8, 'model.decode_head.in_channels': 256, 'model.decode_head.channels': 16,
    'model.decode_head.dropout_ratio': 0.0, 'transfer_task.total_batch_size': 2, 'train_dataloader.batch_size': 2,
    'train_cfg.max_iters': 2, 'train_cfg.val_interval': 1000, 'train_cfg.val_begin': 1000,
    'default_hooks.checkpoint.interval': 2, 'param_scheduler.0.end': 2,
    'train_dataloader.dataset.pipeline.2.scales': '[(80, 48)]',
    'val_dataloader.dataset.pipeline.1.short_side': 40, 'test_dataloader.dataset.pipeline.1.short_side': 40,
    'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
    'test_dataloader.num_workers': 0, 'test_dataloader.persistent_workers': False,
    'val_dataloader.num_workers': 0, 'val_dataloader.persistent_workers': False}


def _run(suite: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, str(REPO / 'tools' / 'run_suite.py'), str(suite), '--out', str(out), '--no-summary',
            *extra]
    return subprocess.run(argv, cwd=REPO, env={**tool_env(), 'COLUMNS': '200'}, capture_output=True, text=True,
                          timeout=900)


@pytest.fixture(scope='module')
def suite_runs(tmp_path_factory, toy_dist_world) -> dict[int, Path]:
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    folder = tmp_path_factory.mktemp('dist_suite')
    suite = write_suite(folder, {
        'name': 'two_cells',
        'data_roots': {'nyuv2': str(toy_dist_world['nyuv2']), 'dtd': str(toy_dist_world['cls'] / 'dtd')},
        'backbones': [{'name': 'byol', 'method': 'byol', 'args': ['--base-channels', '8'],
                       'checkpoint': str(toy_checkpoint_path(toy_dist_world['checkpoints'], 'byol'))}],
        'tasks': [{'kind': 'normals', 'cfg_options': NORMALS_OPTIONS},
                  {'kind': 'linear', 'datasets': ['dtd'],
                   'args': ['--image-size', '32', '--workers', '0', '--batch-size', '8', '--grid-size', '5']}]})
    outs = {}
    for gpus in (1, 2):
        outs[gpus] = folder / f'gpus{gpus}'
        proc = _run(suite, outs[gpus], '--gpus', str(gpus), '--max-parallel', '1')  # one cell at a time: all GPUs
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return outs


def _results(out: Path) -> dict[str, dict]:
    records = {}
    for path in (out / 'results').glob('*.json'):
        record = read_result(path).to_dict()
        record.pop('created')
        records[record['task']] = record
    return records


def test_suite_with_two_gpus_runs_the_distributed_commands_and_stores_the_one_gpu_numbers(suite_runs):
    one, two = _results(suite_runs[1]), _results(suite_runs[2])
    assert set(one) == set(two) == {'normals', 'linear'}
    logs = {p.name: p.read_text() for p in (suite_runs[2] / 'logs').glob('*.log')}
    commands = '\n'.join(line for text in logs.values() for line in text.splitlines() if line.startswith('$ '))
    assert 'dist_train.sh' in commands and 'dist_test.sh' in commands
    assert '--launcher pytorch' not in commands  # the probe ran on one GPU (tasks.TASKS['linear'].max_gpus)
    # the probe: identical record (the suite's bookkeeping aside: its cell folders differ)
    strip = ('extra',)
    assert {k: v for k, v in one['linear'].items() if k not in strip} == \
        {k: v for k, v in two['linear'].items() if k not in strip}
    assert one['linear']['extra']['val_curve'] == two['linear']['extra']['val_curve']
    # the training cell: the total batch of 2 split over 2 processes, the metrics within the training bound
    assert (one['normals']['hparams']['world_size'], one['normals']['hparams']['batch_size_per_gpu']) == (1, 2)
    assert (two['normals']['hparams']['world_size'], two['normals']['hparams']['batch_size_per_gpu']) == (2, 1)
    assert one['normals']['hparams']['total_batch_size'] == two['normals']['hparams']['total_batch_size'] == 2
    for name, value in one['normals']['metrics'].items():
        assert value == pytest.approx(two['normals']['metrics'][name], abs=METRIC_ATOL), name
    assert os.environ.get('PORT') is None  # the dist scripts picked their own port (torchrun --standalone)


def test_a_two_process_cell_whose_ranks_refuse_their_input_fails_the_suite_with_the_ranks_line(
        tmp_path, toy_dist_world):
    """A normals cell on 2 CPU processes (gloo) with a misspelt ``cfg_options`` key: the cell is recorded failed
    with its log's tail, and run_suite.py exits 2 with the failing rank's line last (as dist_train.sh does);
    piped, its progress is plain lines."""
    from mmssl_transfer.errors import EXIT_BAD_INPUT
    from mmssl_transfer.toy.checkpoints import toy_checkpoint_path
    suite = write_suite(tmp_path, {
        'name': 'bad_cell', 'data_roots': {'nyuv2': str(toy_dist_world['nyuv2'])},
        'backbones': [{'name': 'byol', 'method': 'byol', 'args': ['--base-channels', '8'],
                       'checkpoint': str(toy_checkpoint_path(toy_dist_world['checkpoints'], 'byol'))}],
        'tasks': [{'kind': 'normals', 'cfg_options': {**NORMALS_OPTIONS, 'model.backbone.frozen_stage': 4}}]})
    out = tmp_path / 'out'
    proc = _run(suite, out, '--gpus', '2', '--max-parallel', '1')
    assert proc.returncode == EXIT_BAD_INPUT, proc.stdout[-3000:] + proc.stderr[-3000:]
    failure = next((out / 'failed').glob('*.json'))
    record = json.loads(failure.read_text())
    log = Path(record['log'])
    rank_lines = [line for line in log.read_text().splitlines() if re.match(r'train\.py: error: rank \d of 2: ', line)]
    assert rank_lines and 'dist_train.sh' in log.read_text()  # the cell ran on 2 processes, each refused
    assert "unknown config key 'frozen_stage'" in rank_lines[-1] and "did you mean 'frozen_stages'?" in rank_lines[-1]
    assert record['returncode'] == EXIT_BAD_INPUT
    first, *tail = record['error'].splitlines()
    assert first == f'train failed on bad input: {rank_lines[-1]}'
    assert tail[0] == f'last lines of {log}:' and tail[-1] == rank_lines[-1]  # the log's tail, ending with it
    assert proc.stderr.rstrip().splitlines()[-1] == f'run_suite.py: error: {log}: {first}'
    assert 'Traceback' not in proc.stderr
    assert 'cells: 1/1 (100%)' in proc.stdout and not any('cells' in x and '━' in x for x in proc.stdout.splitlines())
