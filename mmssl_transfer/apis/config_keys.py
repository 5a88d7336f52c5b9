"""A misspelt config key (``checkpont=``, ``--cfg-options train_cfg.max_iter=4``) as one error naming file and key.

mmengine builds every object from a config dict by passing its keys as keyword arguments, so a misspelt key
surfaces deep inside a registry build as ``TypeError: X.__init__() got an unexpected keyword argument 'k'``.
:func:`config_key_errors` turns exactly that error into a :class:`LaunchError` naming where the key was written
(the config file of the ``_base_`` chain and line, or ``--cfg-options``), its dotted path, and the closest key
the object does take; any other ``TypeError`` keeps its traceback.
"""
from __future__ import annotations

import ast
import difflib
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from mmengine.config import Config

from .errors import LaunchError

_UNEXPECTED = re.compile(r"([\w.]+)\(\) got an unexpected keyword argument '(\w+)'")


@contextmanager
def config_key_errors(cfg: Config) -> Iterator[None]:
    """Re-raise a build's unexpected-keyword ``TypeError`` for a key of ``cfg`` as a :class:`LaunchError`."""
    try:
        yield
    except TypeError as exc:
        error = unknown_key_error(cfg, exc)
        if error is None:
            raise
        raise error from None


def unknown_key_error(cfg: Config, exc: TypeError) -> LaunchError | None:
    """The :class:`LaunchError` for ``exc`` when it names a key written in ``cfg``; None otherwise."""
    found = _UNEXPECTED.search(str(exc))
    if found is None:
        return None
    callee, key = found.groups()
    paths = list(_key_paths(cfg.to_dict(), key))
    if not paths:
        return None
    path, siblings = paths[0]
    close = difflib.get_close_matches(key, [s for s in siblings if s != key], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ''
    where = _written_at(str(cfg.filename or ''), key)
    origin = where or f'{cfg.filename}: --cfg-options {path}'
    owner = callee.split('.')[0]
    used_by = f' (in {cfg.filename})' if where and not where.startswith(str(cfg.filename)) else ''
    return LaunchError(f'{origin}: unknown config key {key!r} at {path}{used_by}: {owner} takes no argument '
                       f'{key!r}{hint}')


def _key_paths(node: Any, key: str, prefix: str = '') -> Iterator[tuple[str, list[str]]]:
    """(dotted path, sibling keys) of every dict in ``node`` that holds ``key``."""
    if isinstance(node, dict):
        if key in node:
            yield (f'{prefix}.{key}' if prefix else key), [str(k) for k in node]
        for name, value in node.items():
            yield from _key_paths(value, key, f'{prefix}.{name}' if prefix else str(name))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _key_paths(value, key, f'{prefix}.{i}')


def _written_at(config: str, key: str) -> str | None:
    """``file:line`` of the first ``key=`` in ``config`` or the files of its ``_base_`` chain, else None."""
    pattern = re.compile(rf'\b{re.escape(key)}\s*=(?!=)')
    for path in _config_chain(Path(config)):
        try:
            lines = path.read_text(encoding='utf-8').splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, 1):
            if pattern.search(line.split('#', 1)[0]):
                return f'{path}:{number}'
    return None


def _config_chain(path: Path, seen: set[Path] | None = None) -> Iterator[Path]:
    """``path`` and every file its ``_base_`` lists name, depth first."""
    seen = set() if seen is None else seen
    path = path.resolve()
    if path in seen or not path.is_file():
        return
    seen.add(path)
    yield path
    try:
        tree = ast.parse(path.read_text(encoding='utf-8'))
    except (OSError, SyntaxError):
        return
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == '_base_' for t in node.targets):
            try:
                bases = ast.literal_eval(node.value)
            except ValueError:
                continue
            for base in [bases] if isinstance(bases, str) else bases:
                yield from _config_chain(path.parent / base, seen)
