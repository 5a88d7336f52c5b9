"""Where the project's ``configs/`` and ``tools/`` are: a source checkout, or the copy an installed wheel ships.

The suite runs each cell through ``tools/*.py`` with a config from ``configs/``, and the finetune sweep reads the
per-dataset bases in ``configs/_base_/cls/``. A source checkout (``pip install -e .``, tools/install.sh) has them
beside the package; a wheel ships them inside it as ``mmssl_transfer/.mim/{configs,tools}`` (OpenMMLab's ``.mim``
convention, written by setup.py). ``MMSSL_TRANSFER_ROOT`` points elsewhere: the one setting, checked first.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import InputError

#: Environment variable naming a folder that holds ``configs/`` and ``tools/`` (a checkout of mmssl-transfer).
ROOT_VARIABLE = 'MMSSL_TRANSFER_ROOT'
_PACKAGE = Path(__file__).resolve().parent
_CANDIDATES = (('the source checkout', _PACKAGE.parent), ('the installed package data', _PACKAGE / '.mim'))


class ProjectFilesError(InputError):
    """The project's configs/ and tools/ cannot be found."""


def _complete(root: Path) -> bool:
    return (root / 'configs').is_dir() and (root / 'tools').is_dir()


def project_root() -> Path:
    """The folder holding ``configs/`` and ``tools/``: ``$MMSSL_TRANSFER_ROOT``, the checkout, or the wheel's copy."""
    override = os.environ.get(ROOT_VARIABLE)
    if override:
        root = Path(override).expanduser().resolve()
        if not _complete(root):
            raise ProjectFilesError(f'{root}: {ROOT_VARIABLE} must name a folder holding configs/ and tools/ '
                                    f'(a checkout of mmssl-transfer)')
        return root
    for _, root in _CANDIDATES:
        if _complete(root):
            return root
    looked = ', '.join(f'{what} ({root})' for what, root in _CANDIDATES)
    raise ProjectFilesError(f"{_PACKAGE}: cannot find mmssl-transfer's configs/ and tools/ (looked in {looked}); "
                            f'set {ROOT_VARIABLE} to a checkout of mmssl-transfer')


def configs_dir() -> Path:
    """The ``configs/`` folder (see :func:`project_root`)."""
    return project_root() / 'configs'


def variant_configs(task: str, configs: Path | None = None) -> dict[str, Path]:
    """Name -> file of the protocol variants of one task (``configs/variants/<task>/<name>.py``).

    A variant is a config fragment applied on top of an experiment config (``tools/train.py CONFIG --variant
    NAME``); see :mod:`mmssl_transfer.apis.variants`. ``configs`` defaults to :func:`configs_dir`.
    """
    folder = (configs or configs_dir()) / 'variants' / task
    return {p.stem: p for p in sorted(folder.glob('*.py'))} if folder.is_dir() else {}
