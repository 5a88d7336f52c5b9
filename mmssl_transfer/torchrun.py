"""torchrun (``python -m torch.distributed.run``) whose processes' clean refusal ends the run with it, quietly.

``python -m mmssl_transfer.torchrun [torchrun options] SCRIPT [args]`` (what tools/dist_train.sh and dist_test.sh
start) takes torchrun's own arguments and runs it, but reports a failure of its processes the project's way:
when every failed process exited with status 2 (bad input: the tool has said why in one line, see
:mod:`mmssl_transfer.errors`) or was stopped by torchrun's SIGTERM after another one did, it exits 2 with nothing
more (but the one line of an error that rank 0 was stopped before printing); otherwise it prints torchrun's failure
summary (which names the root-cause rank and its error) without the launcher's own Python traceback, and exits
with the first failed process's status (1 when that is not a positive number, e.g. a process killed by a signal).
"""
from __future__ import annotations

import os
import signal
import sys
from typing import Any, Mapping, Sequence

from .distributed import UNSAID_KEY
from .errors import EXIT_BAD_INPUT

#: Exit status of a process that torchrun stopped because another one failed first.
STOPPED_BY_LAUNCHER = -signal.SIGTERM


def main(argv: Sequence[str] | None = None) -> int:
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        run(args)
    except ChildFailedError as exc:
        codes = [failure.exitcode for failure in exc.failures.values()]
        if EXIT_BAD_INPUT in codes and all(code in (EXIT_BAD_INPUT, STOPPED_BY_LAUNCHER) for code in codes):
            _say_what_rank_0_could_not(exc.failures)
            return EXIT_BAD_INPUT
        print(exc.format_msg(), file=sys.stderr)
        _, first = exc.get_first_failure()
        return first.exitcode if first.exitcode > 0 else 1
    return 0


def _say_what_rank_0_could_not(failures: Mapping[int, Any]) -> None:
    """Print the first unsaid error (the one line rank 0 prints for every process) when rank 0 was stopped before
    it wrote its own error file, i.e. before it printed."""
    rank0 = failures.get(0)
    if rank0 is None or rank0.exitcode == EXIT_BAD_INPUT or os.path.isfile(rank0.error_file):
        return
    for rank in sorted(failures):
        message = failures[rank].error_file_data.get('message')
        if isinstance(message, dict) and message.get('extraInfo', {}).get(UNSAID_KEY) == 'true':
            print(message['message'], file=sys.stderr)
            return


if __name__ == '__main__':
    sys.exit(main())
