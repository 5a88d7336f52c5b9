"""The launch-level error of tools/train.py and tools/test.py."""
from mmssl_transfer.errors import InputError


class LaunchError(InputError):
    """A config or command-line argument of a train/test run cannot be used as given."""
