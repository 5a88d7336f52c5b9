"""The one error type of the checkpoint package."""
from __future__ import annotations

from mmssl_transfer.errors import InputError


class CheckpointError(InputError):
    """A checkpoint is missing, unreadable, unsafe or not in a layout we can convert.

    The message is a single line that names the file (when there is one) and says what is wrong, so that
    ``tools/convert_checkpoint.py`` can print it as is.
    """
