"""Starting the process group (every tool, one function), timeouts, and failures: one clear error, never a hang."""
import pickle
import textwrap
from pathlib import Path

import pytest
import torch

from mmssl_transfer import compat
from mmssl_transfer.distributed import (DEFAULT_TIMEOUT_S, TIMEOUT_ENV, DistributedError, batch_shard, init_distributed,
                                        timeout_seconds)

from .conftest import Timer, tool_env, torchrun


def test_timeout_comes_from_the_environment_else_the_config_else_the_default(monkeypatch):
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    assert timeout_seconds() == DEFAULT_TIMEOUT_S == 1800 and timeout_seconds(600) == 600
    monkeypatch.setenv(TIMEOUT_ENV, '45')
    assert timeout_seconds(600) == 45
    for bad in ('soon', '0', '-3'):
        monkeypatch.setenv(TIMEOUT_ENV, bad)
        with pytest.raises(DistributedError, match=f"{TIMEOUT_ENV}='{bad}': expected a number of seconds > 0"):
            timeout_seconds()


def test_a_launcher_without_its_environment_says_how_to_start_it(monkeypatch):
    for name in ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(DistributedError) as info:
        init_distributed('pytorch')
    assert 'the environment lacks RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT' in str(info.value)
    assert 'torch.distributed.run --nproc_per_node=N' in str(info.value) and '--launcher none' in str(info.value)
    init_distributed('none')  # one process: nothing to start
    assert not torch.distributed.is_initialized()
    assert {p.__name__ for p in compat.PATCHES} <= compat._APPLIED  # the compat layer is in force first


def test_batch_shards_are_whole_batches_of_the_single_process_run(monkeypatch):
    from mmssl_transfer import distributed
    shards = []
    for rank in range(3):
        monkeypatch.setattr(distributed, 'rank_and_world', lambda rank=rank: (rank, 3))
        shards.append(batch_shard(23, 4))  # batches 0..5, the last one 3 images
    assert shards == [[0, 1, 2, 3, 12, 13, 14, 15], [4, 5, 6, 7, 16, 17, 18, 19], [8, 9, 10, 11, 20, 21, 22]]


def test_rows_of_every_rank_come_back_in_dataset_order_even_from_a_rank_without_any(monkeypatch):
    import mmengine.dist

    from mmssl_transfer import distributed
    features = torch.arange(10 * 3, dtype=torch.float32).view(10, 3)  # what one process computes
    parts = []
    for rank in range(4):  # 10 samples in batches of 4 on 4 processes: rank 3 gets no batch
        monkeypatch.setattr(distributed, 'rank_and_world', lambda rank=rank: (rank, 4))
        indices = batch_shard(10, 4)
        parts.append((indices, features[indices]))
    assert parts[3][0] == []
    monkeypatch.setattr(mmengine.dist, 'all_gather_object', lambda data: parts)
    assert torch.equal(distributed.gather_in_order(parts[0][1], parts[0][0], 10), features)
    with pytest.raises(RuntimeError, match='the 4 ranks hold 10 rows for 11 samples'):
        distributed.gather_in_order(parts[0][1], parts[0][0], 11)


def test_gloo_sync_batchnorm_keeps_the_module_and_is_batchnorm_in_one_process():
    from torch import nn
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.SyncBatchNorm(4))
    keys = list(model.state_dict())
    reference = nn.BatchNorm2d(4)
    reference.load_state_dict(model[1].state_dict())
    compat.convert_sync_batchnorm_for_cpu(model)
    assert type(model[1]).__name__ == 'GlooSyncBatchNorm' and list(model.state_dict()) == keys
    assert not isinstance(model[1], nn.SyncBatchNorm)  # DDP refuses SyncBatchNorm on CPU
    x = torch.randn(5, 4, 3, 3)
    torch.testing.assert_close(model[1](x), reference(x))
    torch.testing.assert_close(model[1].running_var, reference.running_var)
    assert type(pickle.loads(pickle.dumps(model))[1]).__name__ == 'GlooSyncBatchNorm'


def test_a_rank_that_hangs_makes_the_others_fail_after_the_timeout(tmp_path):
    script = tmp_path / 'hang.py'
    script.write_text(textwrap.dedent('''
        import sys, time
        from mmengine.dist import barrier
        from mmssl_transfer.distributed import init_distributed, rank_and_world
        from mmssl_transfer.cli import run_tool

        def body():
            init_distributed('pytorch')
            if rank_and_world()[0] == 1:
                time.sleep(300)  # a stuck process
            barrier()

        sys.exit(run_tool('hang.py', body))
    '''))
    with Timer() as timer:
        proc = torchrun(script, env=tool_env(**{TIMEOUT_ENV: '5'}), timeout=240)
    assert proc.returncode != 0 and timer.seconds < 120
    assert 'hang.py: rank 0 of 2 stopped: waited longer than the process-group timeout' in proc.stderr
    assert f'{TIMEOUT_ENV}=SECONDS sets the timeout' in proc.stderr
    root_cause = proc.stderr.split('Root Cause (first observed failure):')[1]
    assert 'rank      : 0' in root_cause and 'waited longer than the process-group timeout' in root_cause


def test_a_rank_that_fails_fails_the_run_naming_the_rank_and_the_cause(tmp_path, toy_dist_world):
    """One image that only rank 1 extracts is broken: rank 1 reports it as bad input, rank 0 stops, torchrun names
    rank 1, the file and why; no cache entry is written."""
    import shutil
    data = tmp_path / 'dtd'
    shutil.copytree(toy_dist_world['cls'] / 'dtd', data)
    broken = data / 'images' / (data / 'labels' / 'test1.txt').read_text().split()[9]  # test index 9: batch 1
    broken.write_bytes(b'not a jpeg')
    cache = tmp_path / 'cache'
    with Timer() as timer:
        proc = torchrun(Path(__file__).parents[2] / 'tools' / 'extract_features.py', '--launcher', 'pytorch',
                        '--checkpoint', str(toy_dist_world['checkpoints'] / 'mocov2.pth.tar'), '--base-channels', '8',
                        '--dataset', 'dtd', '--data-root', str(data), '--splits', 'test', '--image-size', '32',
                        '--workers', '0', '--batch-size', '8', '--cache-dir', str(cache), timeout=240)
    assert proc.returncode != 0 and timer.seconds < 120
    # the broken file is bad input (ImageDecodeError): one error line naming the rank, the file and the cause
    cause = f'{broken}: cannot be decoded as an image with cv2 ('
    assert f'extract_features.py: error: rank 1 of 2: {cause}' in proc.stderr
    assert 'extract_features.py: rank 0 of 2 stopped: lost contact with another process, which failed (its error ' \
        'is reported above)' in proc.stderr
    root_cause = proc.stderr.split('Root Cause (first observed failure):')[1]
    assert 'rank      : 1' in root_cause and 'exitcode  : 2' in root_cause  # 2: the bad-input exit status
    assert f'traceback : extract_features.py: rank 1 of 2: {cause}' in root_cause
    assert not list(cache.rglob('*.json')) and not list(cache.rglob('*.safetensors'))
