"""Warning filters: each silences one warning of an upstream package that says nothing about the user's run
(and names the upstream issue), nothing wider; applied by ``import mmssl_transfer``."""
from __future__ import annotations

import warnings

#: (message regex, category, upstream): each filter silences one warning of an upstream package, nothing wider.
KNOWN_WARNINGS: tuple[tuple[str, type[Warning], str], ...] = (
    # mmengine 0.10.7 utils/package_utils.py imports (and reloads) pkg_resources in is_installed, which every
    # Runner and pkg:: config base calls; setuptools 81 warns on each import. Fixed upstream after 0.10.7:
    # open-mmlab/mmengine#1676 (importlib.metadata instead of pkg_resources).
    (r'pkg_resources is deprecated as an API', UserWarning, 'open-mmlab/mmengine#1676'),
)


def silence_known_warnings() -> None:
    """Ignore the :data:`KNOWN_WARNINGS` (idempotent; ``warnings.filterwarnings`` drops duplicates)."""
    for message, category, _upstream in KNOWN_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category)
