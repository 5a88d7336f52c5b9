"""The bad-input policy of the project: one base class, and what a user can cause.

A missing, truncated or malformed checkpoint, dataset folder, annotation, result or suite file, or an unusable
argument, raises a subclass of :class:`InputError` whose message names the file and what is wrong (the
package's messages read ``<file>: <what>``, with detail lines below, such as the expected layout or the fix).
Tools report it through :func:`mmssl_transfer.cli.run_tool` (exit status 2).
"""
from __future__ import annotations


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
