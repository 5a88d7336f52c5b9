"""The toy world of a suite (the demo): toy datasets and checkpoints written once under ``<out>/toy``.

Each kind is generated through :func:`mmssl_transfer.toy.make_toy` (the same generators as
``tools/make_toy_data.py``); a kind counts as written only once its entry is in ``<out>/toy/world.json``,
which is updated atomically after the generator returned, so an interrupted generation is redone.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from mmssl_transfer.results import write_json_atomic


def make_toy_world(root: Path, kinds: tuple[str, ...], options: dict[str, dict[str, Any]] | None = None,
                   seed: int = 0, on_kind: Callable[[str, Path, bool], None] | None = None) -> dict[str, Path]:
    """Write the missing toy kinds under ``root``; return kind -> folder for all of ``kinds``."""
    from mmssl_transfer.toy import make_toy

    options = options or {}
    index_file = root / 'world.json'
    try:
        index = json.loads(index_file.read_text()) if index_file.is_file() else {}
    except json.JSONDecodeError:
        index = {}
    folders: dict[str, Path] = {}
    for kind in kinds:
        stamp = {'seed': seed, 'options': options.get(kind, {})}
        entry = index.get(kind)
        if entry and entry.get('stamp') == stamp and Path(entry['folder']).is_dir():
            folders[kind] = Path(entry['folder'])
            if on_kind:
                on_kind(kind, folders[kind], False)
            continue
        folder = make_toy(kind, root, seed=seed, **options.get(kind, {}))
        index[kind] = {'folder': str(folder), 'stamp': stamp}
        write_json_atomic(index_file, index)
        folders[kind] = Path(folder)
        if on_kind:
            on_kind(kind, folders[kind], True)
    return folders
