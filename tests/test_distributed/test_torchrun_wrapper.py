"""mmssl_transfer.torchrun (what dist_train.sh / dist_test.sh start): a failure of bad input (exit 2 on every failed
process, whose tool said why, the others stopped by torchrun's SIGTERM) ends quietly with 2; any other keeps
torchrun's summary, without the launcher's traceback, and the failed process's status."""
import pytest
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

import mmssl_transfer.torchrun as wrapper
from mmssl_transfer.cli import run_tool
from mmssl_transfer.engine.batch_split import BatchSplitError


def _fail_with(monkeypatch, *codes: int, error_files: dict[int, str] | None = None) -> None:
    failures = {rank: ProcessFailure(local_rank=rank, pid=100 + rank, exitcode=code,
                                     error_file=(error_files or {}).get(rank, ''))
                for rank, code in enumerate(codes)}

    def run(args):
        raise ChildFailedError('tools/train.py', failures)
    monkeypatch.setattr('torch.distributed.run.run', run)


@pytest.mark.parametrize('codes, status, summary', [((2,), 2, False), ((2, 2, 2), 2, False), ((1,), 1, True),
                                                    ((2, 1), 2, True), ((-15,), 1, True), ((-15, 2, -15), 2, False),
                                                    ((2, -15), 2, False), ((-9, 2), 1, True)])
def test_bad_input_ends_quietly_and_other_failures_keep_the_summary(monkeypatch, capsys, codes, status, summary):
    _fail_with(monkeypatch, *codes)
    assert wrapper.main(['--nproc_per_node=2', 'tools/train.py', 'cfg.py']) == status
    err = capsys.readouterr().err
    assert ('Root Cause' in err) == summary and 'Traceback' not in err


def test_a_run_that_succeeds_exits_0(monkeypatch):
    monkeypatch.setattr('torch.distributed.run.run', lambda args: None)
    assert wrapper.main(['--nproc_per_node=2', 'tools/train.py']) == 0


def _refuse_on(rank: int, tmp_path, monkeypatch, capsys) -> tuple[str, str]:
    """Run a tool body that raises a same-on-every-rank refusal as ``rank`` of 4 under torchrun; its error file and
    what it printed."""
    error_file = tmp_path / f'error_{rank}.json'
    monkeypatch.setenv('TORCHELASTIC_ERROR_FILE', str(error_file))
    monkeypatch.setenv('RANK', str(rank))
    monkeypatch.setenv('WORLD_SIZE', '4')

    def body():
        raise BatchSplitError('det/voc0712/frozen: --paper-only: the total batch of 2 cannot be split over 4')
    assert run_tool('train.py', body) == 2
    return str(error_file), capsys.readouterr().err


def test_rank_0_alone_says_a_refusal_and_the_launcher_when_rank_0_was_stopped_first(tmp_path, monkeypatch, capsys):
    """Every process refuses alike; rank 0 prints it. Another rank that exits first makes torchrun stop rank 0
    (SIGTERM): when rank 0 had not printed yet (no error file), the launcher prints the unsaid line, once."""
    file_1, said_1 = _refuse_on(1, tmp_path, monkeypatch, capsys)
    assert said_1 == ''  # only recorded for the launcher
    line = 'train.py: error: det/voc0712/frozen: --paper-only: the total batch of 2 cannot be split over 4'
    _fail_with(monkeypatch, -15, 2, error_files={1: file_1})
    assert wrapper.main(['--nproc_per_node=4', 'tools/train.py']) == 2
    assert capsys.readouterr().err.splitlines() == [line]

    file_0, said_0 = _refuse_on(0, tmp_path, monkeypatch, capsys)
    assert said_0.splitlines() == [line]
    _fail_with(monkeypatch, -15, 2, error_files={0: file_0, 1: file_1})  # rank 0 printed, then was stopped
    assert wrapper.main(['--nproc_per_node=4', 'tools/train.py']) == 2
    assert capsys.readouterr().err == ''


def test_one_process_own_error_is_printed_again_last(tmp_path, monkeypatch, capsys):
    """A bad input only rank 1 meets (its own line, 'rank 1 of 2') ends the launcher's output, after torchrun's log
    lines; exit 2, no summary."""
    error_file = tmp_path / 'error_1.json'
    monkeypatch.setenv('TORCHELASTIC_ERROR_FILE', str(error_file))
    monkeypatch.setenv('RANK', '1')
    monkeypatch.setenv('WORLD_SIZE', '2')

    def body():
        raise FileNotFoundError('/data/voc: VOC data root not found')
    assert run_tool('train.py', body) == 2
    line = 'train.py: error: rank 1 of 2: /data/voc: VOC data root not found'
    assert capsys.readouterr().err.splitlines() == [line]
    _fail_with(monkeypatch, -15, 2, error_files={1: str(error_file)})
    assert wrapper.main(['--nproc_per_node=2', 'tools/train.py']) == 2
    assert capsys.readouterr().err.splitlines() == [line]
