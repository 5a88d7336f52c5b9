"""mmssl_transfer.torchrun (what dist_train.sh / dist_test.sh start): a failure of bad input (exit 2 on every failed
process, whose tool said why) ends quietly with 2; any other keeps torchrun's summary, without the launcher's
traceback, and the failed process's status."""
import pytest
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

import mmssl_transfer.torchrun as wrapper


def _fail_with(monkeypatch, *codes: int) -> None:
    failures = {rank: ProcessFailure(local_rank=rank, pid=100 + rank, exitcode=code, error_file='')
                for rank, code in enumerate(codes)}

    def run(args):
        raise ChildFailedError('tools/train.py', failures)
    monkeypatch.setattr('torch.distributed.run.run', run)


@pytest.mark.parametrize('codes, status, summary', [((2,), 2, False), ((2, 2, 2), 2, False), ((1,), 1, True),
                                                    ((2, 1), 2, True), ((-15,), 1, True)])
def test_bad_input_ends_quietly_and_other_failures_keep_the_summary(monkeypatch, capsys, codes, status, summary):
    _fail_with(monkeypatch, *codes)
    assert wrapper.main(['--nproc_per_node=2', 'tools/train.py', 'cfg.py']) == status
    err = capsys.readouterr().err
    assert ('Root Cause' in err) == summary and 'Traceback' not in err


def test_a_run_that_succeeds_exits_0(monkeypatch):
    monkeypatch.setattr('torch.distributed.run.run', lambda args: None)
    assert wrapper.main(['--nproc_per_node=2', 'tools/train.py']) == 0
