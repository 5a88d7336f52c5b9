"""The exceptions that mean "bad input" (a missing or broken file, an unusable argument).

tools/train.py and tools/test.py turn these into one line on stderr and exit status 2; anything else is a
bug and keeps its traceback. A module that adds a new input error class lists it in :data:`BAD_INPUT_ERRORS`.
"""
from __future__ import annotations

from ..checkpoints import CheckpointError, DownloadError
from ..datasets.voc_detection import VOCDataError
from ..results import ResultError
from .config_loading import LaunchError

BAD_INPUT_ERRORS: tuple[type[BaseException], ...] = (
    FileNotFoundError, NotADirectoryError, LaunchError, VOCDataError, ResultError, CheckpointError, DownloadError,
)
