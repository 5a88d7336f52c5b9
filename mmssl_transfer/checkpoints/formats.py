"""Recognise which zoo layout a loaded checkpoint has, from its container keys and key prefixes.

For every zoo row, the file must (1) hold the row's container (or be a flat tensor dict when the row has none),
(2) yield ``conv1.weight`` through the row's key map, and (3) satisfy the row's head markers (key prefixes that
must or must not exist, e.g. MoCo-v1's linear ``module.encoder_q.fc.weight`` vs MoCo-v2's MLP ``fc.0``/``fc.2``).
Rows whose files are indistinguishable (MoCo vs PCL, DeepCluster-v2 vs SeLa-v2, torchvision-layout
supervised/Barlow Twins/DINO/converted files) are all returned as candidates; the official file name or our own
safetensors metadata picks among them, else the row's ``detect_rank``. Prefixes are matched with
``startswith`` only: ``module.encoder_q_extra.`` or ``xmodule.encoder_q.`` never count as ``module.encoder_q.``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from .errors import CheckpointError
from .keymaps import KEY_MAPS, flatten_byol_state
from .zoo import ZOO, MethodSpec, find_method, normalize_name

#: safetensors metadata key under which :func:`save_converted` records the method.
METADATA_METHOD_KEY = 'mmssl_transfer.method'
#: The zoo row whose layout is plain torchvision names in a raw dict (also our converted files).
TORCHVISION_LAYOUT = 'supervised'


@dataclass(frozen=True)
class Detection:
    """What :func:`detect_format` found.

    Attributes:
        method: The method the file most likely holds (decides the input normalisation).
        candidates: All methods whose files share this layout.
        detected_by: Human-readable evidence.
        layout: The zoo row whose key layout is used to convert (differs from ``method`` only for our own
            converted safetensors files, which are in torchvision layout and record their method).
    """

    method: str
    candidates: tuple[str, ...]
    detected_by: str
    layout: str = ''

    def __post_init__(self) -> None:
        if not self.layout:
            object.__setattr__(self, 'layout', self.method)


def _is_array(value: Any) -> bool:
    return isinstance(value, (torch.Tensor, np.ndarray))


def _is_tensor_dict(obj: Any) -> bool:
    return isinstance(obj, Mapping) and len(obj) > 0 and all(_is_array(v) for v in obj.values())


def source_tensors(obj: Any, spec: MethodSpec) -> dict[str, Any] | None:
    """The flat key -> array dict that ``spec``'s key map reads from ``obj``, or ``None`` if the container is
    not there."""
    if not isinstance(obj, Mapping):
        return None
    if spec.key_map == 'byol_haiku':
        state = obj.get(spec.container)
        if not isinstance(state, Mapping) or not isinstance(state.get('online_params'), Mapping):
            return None
        flat = flatten_byol_state(dict(state))
        return flat if flat else None
    if spec.container is None:
        return dict(obj) if _is_tensor_dict(obj) else None
    inner = obj.get(spec.container)
    if not isinstance(inner, Mapping):
        return None
    return {k: v for k, v in inner.items() if _is_array(v)} or None


def layout_matches(source: dict[str, Any], spec: MethodSpec) -> bool:
    """Whether ``spec``'s key map finds the stem convolution in ``source`` (the layout test)."""
    plan = KEY_MAPS[spec.key_map](source.keys(), spec)
    return 'conv1.weight' in plan.mapping.values()


def markers_match(source: dict[str, Any], spec: MethodSpec) -> bool:
    """Whether the head markers of ``spec`` hold for ``source`` (key prefixes, matched with ``startswith``)."""
    has = lambda marker: any(k.startswith(marker) for k in source)  # noqa: E731
    return all(has(m) for m in spec.markers) and not any(has(m) for m in spec.absent_markers)


def methods_named_by(filename: str | None) -> list[str]:
    """Methods that a file name points to (official release name, or ``<method>.<ext>`` like the toy files)."""
    hints = []
    if filename:
        name = Path(filename).name
        hints += [s.name for s in ZOO.values() if s.filename.lower() == name.lower()]
        by_stem = find_method(name.split('.')[0]) or find_method(normalize_name(name.split('.')[0]))
        if by_stem is not None:
            hints.append(by_stem.name)
    return hints


def _common_prefixes(obj: Any, top: int = 6) -> list[tuple[str, int]]:
    """Most common two-component key prefixes of the largest tensor dict in ``obj`` (for error messages)."""
    nested = [v for v in obj.values() if isinstance(v, Mapping)] if isinstance(obj, Mapping) else []
    dicts = nested + [obj]  # on a tie prefer the nested state dict over the top-level container
    keys = max((list(d.keys()) for d in dicts if isinstance(d, Mapping)), key=len, default=[])
    counter = Counter('.'.join(str(k).split('.')[:2]) for k in keys)
    return counter.most_common(top)


def describe_layout(obj: Any) -> str:
    """One-line summary of what a checkpoint holds: top-level keys and the most common key prefixes."""
    top = list(obj.keys())[:12] if isinstance(obj, Mapping) else []
    prefixes = ', '.join(f'{p!r} x{n}' for p, n in _common_prefixes(obj))
    return f'top-level keys {top}; most common key prefixes: {prefixes or "none"}'


def detect_format(obj: Any, filename: str | None = None, metadata: Mapping[str, str] | None = None) -> Detection:
    """Identify the zoo layout of a loaded checkpoint (see module docstring).

    Args:
        obj: The top-level object of the checkpoint (dict).
        filename: Optional file name, used only to choose among methods with an identical layout.
        metadata: Optional safetensors metadata (our own converted files record the method there).

    Raises:
        CheckpointError: no zoo layout matches; the message lists the top-level keys and common prefixes.
    """
    layout = [s for s in ZOO.values() if (src := source_tensors(obj, s)) is not None and layout_matches(src, s)]
    if not layout:
        where = f'{filename}: ' if filename else ''
        raise CheckpointError(f'{where}unknown checkpoint layout: no zoo method matches ({describe_layout(obj)})')
    marked = [s for s in layout if markers_match(source_tensors(obj, s), s)] or layout
    recorded = (metadata or {}).get(METADATA_METHOD_KEY)
    if recorded in ZOO and TORCHVISION_LAYOUT in {s.name for s in layout}:
        return Detection(method=recorded, candidates=(recorded,), layout=TORCHVISION_LAYOUT,
                         detected_by=f'converted file in torchvision layout; its metadata records {recorded!r}')
    hints = [h for h in methods_named_by(filename) if h in {s.name for s in layout}]
    chosen = ZOO[hints[0]] if hints else min(marked, key=lambda s: s.detect_rank)
    container = f'container {chosen.container!r}' if chosen.container else 'a raw state dict'
    how = {'prefix': f'keys starting with {chosen.keep_prefix!r}' if chosen.keep_prefix else 'torchvision key names',
           'simclrv2': 'SimCLRv2-Pytorch key names (net.0.0, net.{s}.blocks.{b}...)',
           'byol_haiku': 'BYOL Haiku module paths (online_params/online_state)'}[chosen.key_map]
    detected_by = f'{container} with {how}'
    if chosen.markers or chosen.absent_markers:
        detected_by += f'; head markers {list(chosen.markers)} present, {list(chosen.absent_markers)} absent'
    same = [s.name for s in marked]
    if hints:
        detected_by += f'; chosen by file name among {same}'
    elif len(same) > 1:
        detected_by += f'; same layout as {[n for n in same if n != chosen.name]} (pass method= to choose)'
    return Detection(method=chosen.name, candidates=tuple(same), detected_by=detected_by)
