"""The bad-input policy of the project: one base class, and one way for tools to report it.

A missing, truncated or malformed checkpoint, dataset folder, annotation, result or suite file, or an unusable
argument, raises a subclass of :class:`InputError` whose message names the file and what is wrong (the
package's messages read ``<file>: <what>``, with detail lines below, such as the expected layout or the fix).

Every ``tools/*.py`` (but ``check_install.py``, which runs before the package is known to import) ends with
:func:`run_tool`, which turns bad input (an :class:`InputError` or one of the builtin file errors) into the whole
message on stderr, its first line prefixed ``<tool>: error: `` as argparse does, and exit status 2. Anything
else is a bug and keeps its traceback (exit status 1).

In a distributed run (torchrun, srun) each message names the process (``rank 1 of 2: ...``); an error that every
process raises alike (``same_on_every_rank = True`` on the exception, e.g. a refused batch split) is printed by
rank 0 alone, without the rank. Under torchrun
the error is also written where torchrun's failure summary reads it (``$TORCHELASTIC_ERROR_FILE``), so the
launcher's one report names the failing rank and the cause, for bad input and for bugs alike.
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
from typing import Callable


class InputError(ValueError):
    """Bad input; the message names the file (or argument) and what is wrong with it."""


#: What a user can cause: the package's input errors and the builtin errors of a path that cannot be used.
BAD_INPUT_ERRORS: tuple[type[BaseException], ...] = (InputError, FileNotFoundError, NotADirectoryError,
                                                     IsADirectoryError, PermissionError, FileExistsError)
EXIT_BAD_INPUT = 2
EXIT_PEER_FAILED = 1
#: Environment variable: seconds the processes of a distributed run wait for each other (mmssl_transfer.distributed).
DIST_TIMEOUT_ENV = 'MMSSL_DIST_TIMEOUT'
#: Texts of the torch.distributed backends' errors when a peer process died or did not answer in time.
_PEER_FAILURE_MARKERS = ('Connection closed by peer', 'Connection reset by peer', 'Timed out', 'timed out',
                         'NCCL', 'gloo')
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a Ctrl-C


def error_message(exc: BaseException) -> str:
    """The full text of a bad-input error; a builtin file error reads ``<file>: <reason>``."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f'{exc.filename}: {exc.strerror}'
    return str(exc) or type(exc).__name__


def process_rank() -> tuple[int, int]:
    """``(rank, world size)`` of this process; ``(0, 1)`` outside a distributed run."""
    dist = sys.modules.get('torch.distributed')
    if dist is not None and dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    try:
        return int(os.environ['RANK']), int(os.environ['WORLD_SIZE'])
    except (KeyError, ValueError):
        return 0, 1


def process_label() -> str:
    """``'rank R of W'`` inside a distributed run of W > 1 processes, else ``''``."""
    rank, world = process_rank()
    return f'rank {rank} of {world}' if world > 1 else ''


def peer_failure(exc: BaseException) -> str | None:
    """What a collective operation's error means (another process failed, or a timeout), or None if it is not one.

    When one process of a distributed run dies, the others fail inside their next collective operation with a
    backend error ("Connection closed by peer"); when one hangs, the others time out. Either is a consequence:
    the cause is the other process's own error.
    """
    dist = sys.modules.get('torch.distributed')
    dist_error = getattr(dist, 'DistError', None) if dist is not None else None
    text = str(exc)
    if not ((dist_error is not None and isinstance(exc, dist_error))
            or (isinstance(exc, RuntimeError) and any(m in text for m in _PEER_FAILURE_MARKERS))):
        return None
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if 'timed out' in text.lower() or 'timeout' in text.lower():
        return (f'waited longer than the process-group timeout for the other processes (one of them hangs or '
                f'failed; {DIST_TIMEOUT_ENV}=SECONDS sets the timeout): {first}')
    return f'lost contact with another process, which failed (its error is reported above): {first}'


#: ``extraInfo`` key of an error file whose message this process did not print (rank 0 says it for every process).
UNSAID_KEY = 'unsaid'


def record_for_launcher(exc: BaseException, message: str | None = None, *, consequence: bool = False,
                        unsaid: bool = False) -> None:
    """Write ``exc`` (its traceback, or only ``message``) where torchrun's failure summary reads it.

    Only under torchrun (``$TORCHELASTIC_ERROR_FILE`` set, the JSON layout of torch's ``ErrorHandler``): the
    launcher reports the failure with the earliest time (whole seconds; ties go to the lowest rank) as the root
    cause of the run. A ``consequence`` of another process's failure is dated one second later, so the process
    that failed first is the one named. An ``unsaid`` message was not printed by this process (rank 0 prints it);
    the launcher (:mod:`mmssl_transfer.torchrun`) prints it when rank 0 was stopped before it could.
    """
    path = os.environ.get('TORCHELASTIC_ERROR_FILE')
    if not path:
        return
    text = f'{type(exc).__name__}: {exc}' if message is None else message
    details = traceback.format_exc() if message is None else message
    stamp = int(time.time()) + int(consequence)
    info = {'py_callstack': details, 'timestamp': str(stamp)}
    if unsaid:
        info[UNSAID_KEY] = 'true'
    data = {'message': {'message': text, 'extraInfo': info}}
    try:
        with open(path, 'w', encoding='utf-8') as file:
            json.dump(data, file)
    except OSError:
        pass


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
