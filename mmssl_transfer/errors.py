"""The bad-input policy of the project: one base class, and one way for tools to report it.

A missing, truncated or malformed checkpoint, dataset folder, annotation, result or suite file, or an unusable
argument, raises a subclass of :class:`InputError` whose message names the file and what is wrong (the
package's messages read ``<file>: <what>``, with detail lines below, such as the expected layout or the fix).

Every ``tools/*.py`` (but ``check_install.py``, which runs before the package is known to import) ends with
:func:`run_tool`, which turns bad input (an :class:`InputError` or one of the builtin file errors) into the whole
message on stderr, its first line prefixed ``<tool>: error: `` as argparse does, and exit status 2. Anything
else is a bug and keeps its traceback (exit status 1).
"""
from __future__ import annotations

import sys
from typing import Callable


class InputError(ValueError):
    """Bad input; the message names the file (or argument) and what is wrong with it."""


#: What a user can cause: the package's input errors and the builtin errors of a path that cannot be used.
BAD_INPUT_ERRORS: tuple[type[BaseException], ...] = (InputError, FileNotFoundError, NotADirectoryError,
                                                     IsADirectoryError, PermissionError, FileExistsError)
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a Ctrl-C


def error_message(exc: BaseException) -> str:
    """The full text of a bad-input error; a builtin file error reads ``<file>: <reason>``."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f'{exc.filename}: {exc.strerror}'
    return str(exc) or type(exc).__name__


def run_tool(name: str, body: Callable[[], int | None], *, interrupted_hint: str = '') -> int:
    """Run a tool's body and return its exit status; the one place where tools handle errors.

    Args:
        name: The tool's file name (``'train.py'``), the prefix of every message.
        body: The tool's work after argument parsing; returns its exit status (None: 0).
        interrupted_hint: Added to the message printed on Ctrl-C (e.g. how to resume).

    Returns:
        The body's status; 2 on bad input, with ``<name>: error: <message>`` on stderr (every line of the
        message: the detail lines say what was expected and how to fix it); 130 on Ctrl-C. Any other
        exception propagates with its traceback.
    """
    try:
        status = body()
    except BAD_INPUT_ERRORS as exc:
        print(f'{name}: error: {error_message(exc)}', file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f'{name}: interrupted' + (f'; {interrupted_hint}' if interrupted_hint else ''), file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0 if status is None else status
