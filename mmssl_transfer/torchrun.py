"""torchrun (``python -m torch.distributed.run``) whose bad-input failure ends the way a one-process tool does.

    python -m mmssl_transfer.torchrun [torchrun options] tools/train.py CONFIG --launcher pytorch ...

The same as torchrun (tools/dist_train.sh, dist_test.sh and the suite's distributed probe cells start this one),
but a failure of its processes is reported the project's way. When every failed process exited with status 2
(bad input: the tool has said why in one line, see :mod:`mmssl_transfer.errors`) or was stopped by torchrun's
SIGTERM after another one did, it exits 2 without torchrun's traceback:

- a refusal that is the same on every rank was printed once, by rank 0; nothing more is printed, unless rank 0
  was stopped before it printed, then its one line (recorded unsaid by the other ranks) is printed;
- an error of one process (``<tool>: error: rank R of N: <file>: <what>``, from the error file
  :func:`mmssl_transfer.distributed.record_for_launcher` writes) is printed again last, after torchrun's log
  lines, so the run's output ends with the root cause, as a one-process tool's does.

Any other failure (a bug) prints torchrun's failure summary (which names the root-cause rank and its error)
without the launcher's own Python traceback, and exits with the first failed process's status (1 when that is not
a positive number, e.g. a process killed by a signal).
"""
from __future__ import annotations

import os
import re
import signal
import sys
from typing import Any, Mapping, Sequence

from .distributed import UNSAID_KEY
from .errors import EXIT_BAD_INPUT

#: Exit status of a process that torchrun stopped because another one failed first.
STOPPED_BY_LAUNCHER = -signal.SIGTERM
#: The error-file message of one process's own error: ``<tool>: rank R of N: ...`` (:func:`process_label`).
_PROCESS_MESSAGE = re.compile(r'^[^:\s]+: rank \d+ of \d+: ')


def main(argv: Sequence[str] | None = None) -> int:
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        run(args)
    except ChildFailedError as exc:
        codes = [failure.exitcode for failure in exc.failures.values()]
        if EXIT_BAD_INPUT in codes and all(code in (EXIT_BAD_INPUT, STOPPED_BY_LAUNCHER) for code in codes):
            sys.stdout.flush()
            if not _say_what_rank_0_could_not(exc.failures):
                _say_the_root_cause_last(exc.failures)
            return EXIT_BAD_INPUT
        print(exc.format_msg(), file=sys.stderr)
        _, first = exc.get_first_failure()
        return first.exitcode if first.exitcode > 0 else 1
    return 0


def bad_input_line(message: str) -> str:
    """``'train.py: rank 1 of 2: x: y'`` (the error-file message) as ``'train.py: error: rank 1 of 2: x: y'``."""
    tool, sep, rest = message.partition(': ')
    if not sep or rest.startswith('error: '):
        return message
    return f'{tool}: error: {rest}'


def _say_what_rank_0_could_not(failures: Mapping[int, Any]) -> bool:
    """Print the first unsaid error (the one line rank 0 prints for every process) when rank 0 was stopped before
    it wrote its own error file, i.e. before it printed; whether it printed one."""
    rank0 = failures.get(0)
    if rank0 is None or rank0.exitcode == EXIT_BAD_INPUT or os.path.isfile(rank0.error_file):
        return False
    for rank in sorted(failures):
        message = _recorded(failures[rank])
        if message.get('extraInfo', {}).get(UNSAID_KEY) == 'true' and isinstance(message.get('message'), str):
            print(message['message'], file=sys.stderr)
            return True
    return False


def _say_the_root_cause_last(failures: Mapping[int, Any]) -> None:
    """Print again the line of the process that failed first with bad input (earliest, ties to the lowest rank)
    when it is that process's own error (not a refusal rank 0 said for every process), so it ends the output after
    torchrun's log lines."""
    failed = [rank for rank in sorted(failures) if failures[rank].exitcode == EXIT_BAD_INPUT]
    if not failed:
        return
    first = min(failed, key=lambda rank: failures[rank].timestamp)
    message = _recorded(failures[first]).get('message')
    if isinstance(message, str) and _PROCESS_MESSAGE.match(message):
        print(bad_input_line(message), file=sys.stderr)


def _recorded(failure: Any) -> dict:
    """What a failed process recorded in its error file (``{'message': ..., 'extraInfo': {...}}``), or {}."""
    data = failure.error_file_data.get('message')
    return data if isinstance(data, dict) else {}


if __name__ == '__main__':
    sys.exit(main())
