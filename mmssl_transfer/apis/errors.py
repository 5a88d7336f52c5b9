"""The exceptions that mean "bad input" (a missing or broken file, an unusable argument).

tools/train.py and tools/test.py turn these into one line on stderr and exit status 2; anything else is a
bug and keeps its traceback. Every input error of the package subclasses :class:`mmssl_transfer.errors.InputError`
(checkpoints, datasets, annotations, results, launch options), so this tuple needs no new entry per module.
"""
from __future__ import annotations

from mmssl_transfer.errors import InputError

BAD_INPUT_ERRORS: tuple[type[BaseException], ...] = (FileNotFoundError, NotADirectoryError, InputError)
