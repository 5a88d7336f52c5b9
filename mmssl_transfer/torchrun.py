"""torchrun (``python -m torch.distributed.run``) whose processes' clean refusal ends the run with it, quietly.

``python -m mmssl_transfer.torchrun [torchrun options] SCRIPT [args]`` (what tools/dist_train.sh and dist_test.sh
start) takes torchrun's own arguments and runs it, but reports a failure of its processes the project's way:
when every failed process exited with status 2 (bad input: the tool has said why in one line, see
:mod:`mmssl_transfer.errors`) it exits 2 with nothing more; otherwise it prints torchrun's failure summary (which
names the root-cause rank and its error) without the launcher's own Python traceback, and exits with the first
failed process's status (1 when that is not a positive number, e.g. a process killed by a signal).
"""
from __future__ import annotations

import sys
from typing import Sequence

from .errors import EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        run(args)
    except ChildFailedError as exc:
        codes = [failure.exitcode for failure in exc.failures.values()]
        if codes and all(code == EXIT_BAD_INPUT for code in codes):
            return EXIT_BAD_INPUT
        print(exc.format_msg(), file=sys.stderr)
        _, first = exc.get_first_failure()
        return first.exitcode if first.exitcode > 0 else 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
