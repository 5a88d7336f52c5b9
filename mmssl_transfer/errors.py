"""The one base class of "bad input" errors.

A missing, truncated or malformed checkpoint, dataset folder, annotation, result or suite file, or an unusable
argument, raises a subclass of :class:`InputError` whose message names the file and what is wrong. Tools catch
``InputError`` (plus the builtin file errors) to print one line and exit with status 2; anything else is a bug
and keeps its traceback.
"""


class InputError(ValueError):
    """Bad input; the message names the file (or argument) and what is wrong with it."""
