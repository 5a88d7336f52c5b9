"""The one place where tools handle errors: :func:`run_tool`, above the bad-input policy
(:mod:`mmssl_transfer.errors`) and the process group (:mod:`mmssl_transfer.distributed`).

Every ``tools/*.py`` (but ``check_install.py``, which runs before the package is known to import) ends with
:func:`run_tool`, which turns bad input (an :class:`~mmssl_transfer.errors.InputError` or one of the builtin file
errors) into the whole message on stderr, its first line prefixed ``<tool>: error: `` as argparse does, and exit
status 2. Anything else is a bug and keeps its traceback (exit status 1).

In a distributed run (torchrun, srun) each message names the process (``rank 1 of 2: ...``); an error that every
process raises alike (``same_on_every_rank = True`` on the exception, e.g. a refused batch split) is printed by
rank 0 alone, without the rank. Under torchrun the error is also written where torchrun's failure summary reads it
(``$TORCHELASTIC_ERROR_FILE``), so the launcher's one report names the failing rank and the cause, for bad input
and for bugs alike.
"""
from __future__ import annotations

import sys
from typing import Callable

from .distributed import EXIT_PEER_FAILED, peer_failure, process_label, process_rank, record_for_launcher
from .errors import BAD_INPUT_ERRORS, EXIT_BAD_INPUT, EXIT_INTERRUPTED, error_message


def run_tool(name: str, body: Callable[[], int | None], *, interrupted_hint: str = '') -> int:
    """Run a tool's body and return its exit status; the one place where tools handle errors.

    Args:
        name: The tool's file name (``'train.py'``), the prefix of every message.
        body: The tool's work after argument parsing; returns its exit status (None: 0).
        interrupted_hint: Added to the message printed on Ctrl-C (e.g. how to resume).

    Returns:
        The body's status; 2 on bad input, with ``<name>: error: <message>`` on stderr (every line of the
        message: the detail lines say what was expected and how to fix it); 130 on Ctrl-C; 1 with one line
        when a distributed run's process stops because another one failed or hangs. Any other exception
        propagates with its traceback.
    """
    try:
        status = body()
    except BAD_INPUT_ERRORS as exc:
        where = process_label()
        if where and getattr(exc, 'same_on_every_rank', False):
            if process_rank()[0] != 0:  # rank 0 says it for every process; the launcher has it in case it cannot
                record_for_launcher(exc, f'{name}: error: {error_message(exc)}', unsaid=True)
                return EXIT_BAD_INPUT
            where = ''
        message = f'{where}: {error_message(exc)}' if where else error_message(exc)
        print(f'{name}: error: {message}', file=sys.stderr)
        record_for_launcher(exc, f'{name}: {message}')
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f'{name}: interrupted' + (f'; {interrupted_hint}' if interrupted_hint else ''), file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        where = process_label()
        consequence = peer_failure(exc) if where else None
        if consequence:  # another process failed or hangs: one line, no traceback
            print(f'{name}: {where} stopped: {consequence}', file=sys.stderr)
            record_for_launcher(exc, f'{name}: {where} stopped: {consequence}',
                                consequence=consequence.startswith('lost contact'))
            return EXIT_PEER_FAILED
        if where:  # a bug: keeps its traceback; torchrun's summary shows it with the rank
            print(f'{name}: {where} failed: {type(exc).__name__}: {exc}', file=sys.stderr)
        record_for_launcher(exc)
        raise
    return 0 if status is None else status
