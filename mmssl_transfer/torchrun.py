"""torchrun whose bad-input failure ends the way a one-process tool does: its last line, exit status 2.

    python -m mmssl_transfer.torchrun [torchrun options] tools/train.py CONFIG --launcher pytorch ...

The same as ``python -m torch.distributed.run`` (tools/dist_train.sh, dist_test.sh and the suite's distributed
probe cells call this one), except when a process fails: torchrun then raises ``ChildFailedError`` with a
traceback and exits 1. Here, when the process that failed first (the root cause torchrun's summary names,
from the error file :func:`mmssl_transfer.errors.record_for_launcher` writes) exited with the bad-input status
2, its one line ``<tool>: error: rank R of N: <file>: <what>`` is printed last and the exit status is 2; any
other failure (a bug) keeps torchrun's report.
"""
from __future__ import annotations

import sys
from typing import Sequence

from .errors import EXIT_BAD_INPUT


def bad_input_line(message: str) -> str:
    """``'train.py: rank 1 of 2: x: y'`` (the error-file message) as ``'train.py: error: rank 1 of 2: x: y'``."""
    tool, sep, rest = message.partition(': ')
    if not sep or rest.startswith('error: '):
        return message
    return f'{tool}: error: {rest}'


def main(argv: Sequence[str] | None = None) -> int:
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import main as torchrun_main
    try:
        torchrun_main(list(sys.argv[1:] if argv is None else argv))
    except ChildFailedError as exc:
        _, failure = exc.get_first_failure()
        message = failure.message.get('message') if isinstance(failure.message, dict) else failure.message
        if failure.exitcode != EXIT_BAD_INPUT or not isinstance(message, str):
            raise
        sys.stdout.flush()
        print(bad_input_line(message), file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == '__main__':
    sys.exit(main())
