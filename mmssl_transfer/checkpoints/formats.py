"""Recognise which zoo layout a loaded checkpoint has, from its container keys and key prefixes.

For every zoo row, the file must (1) hold one of the row's containers (or be a flat tensor dict when the row has
none), (2) yield ``conv1.weight`` (a ViT row: ``patch_embed.proj.weight``) through the row's key map, and (3) satisfy
the row's head markers (key prefixes that must or must not exist, e.g. MoCo-v1's linear
``module.encoder_q.fc.weight`` vs MoCo-v2's MLP ``fc.0``/``fc.2``; DINOv2's ``ls1`` LayerScale and
``register_tokens``) and, for a ViT row, its width, patch and depth (ViT-S/16 vs ViT-B/16 vs ViT-S/14), and
(4) hold none of the row's ``absent_entries`` (a DINO full checkpoint's ``dino_loss`` is not iBOT's ``ibot_loss``).
A ViT row also reads our own converted ViT files (mmpretrain names, :func:`as_converted`), told apart by their
patch, grid, LayerScale and registers. The rows that pass are the *candidates*; then, in this order:

1. our own converted files record their method and normalisation (:mod:`.metadata`): that is the answer (a
   ResNet file in torchvision names, a ViT file in mmpretrain names of the recorded row);
2. a known release file name (``MethodSpec.known_filenames``) or a file named after a method (``pclv1.pth.tar``)
   picks among the candidates (for a file in torchvision names, which may hold any method once converted, it
   may name any zoo method), and the evidence says so;
3. a single candidate is the answer;
4. candidates that expect different input normalisation (a ``{'state_dict': <torchvision names>}`` file is
   SimCLR-v1 as tonylins' converter writes it, or any method as mmselfsup's ``extract_backbone_weights.py``
   writes it) are refused: a :class:`CheckpointError` asks for ``method=``;
5. candidates that share their normalisation (MoCo-v1/PCL-v1, MoCo-v2/PCL-v2, DeepCluster-v2/SeLa-v2,
   supervised/Barlow Twins/DINO) give the method ``'ambiguous: a, b'``, so that no result is stored under a
   guessed name; the network loads and is normalised correctly.

Prefixes are matched with ``startswith`` only: ``module.encoder_q_extra.`` or ``xmodule.encoder_q.`` never count as
``module.encoder_q.``. :func:`explain_format` returns the reasoning row by row (``convert_checkpoint.py --explain``).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from .errors import CheckpointError
from .keymaps import KEY_MAPS, flatten_byol_state
from .metadata import METHOD_KEY, NORMALIZATION_KEY, PTH_STATE_KEY
from .vit_layout import VIT_STEM, VIT_STEM_SOURCE, found_architecture
from .zoo import (ALL_METHODS, MethodSpec, ambiguous_candidates, ambiguous_method, find_method, is_recorded_method,
                  normalize_name)


@dataclass(frozen=True)
class Detection:
    """What :func:`detect_format` found.

    Attributes:
        method: The zoo method the file holds, or ``'ambiguous: a, b'`` when only a file name could tell.
        candidates: All methods whose files share this layout.
        detected_by: Human-readable evidence.
        layout: The zoo row whose key layout is used to convert (differs from ``method`` for torchvision-layout
            files, which any converted method may be, and for ambiguous files).
        normalization: The input normalisation of ``method`` (shared by every candidate when ambiguous).
    """

    method: str
    candidates: tuple[str, ...]
    detected_by: str
    layout: str = ''
    normalization: str = ''

    def __post_init__(self) -> None:
        if not self.layout:
            object.__setattr__(self, 'layout', self.method)
        if not self.normalization and self.method in ALL_METHODS:
            object.__setattr__(self, 'normalization', ALL_METHODS[self.method].normalization)

    @property
    def ambiguous(self) -> bool:
        return bool(ambiguous_candidates(self.method))


@dataclass(frozen=True)
class RowCheck:
    """Whether one zoo row describes the file, and why (one row of ``--explain``)."""

    method: str
    container: str
    layout_ok: bool
    markers_ok: bool
    named: str
    verdict: str


@dataclass(frozen=True)
class Explanation:
    """The reasoning of :func:`detect_format`: what the file holds, each row's check, and the outcome."""

    source: str
    top_level_keys: list[str]
    prefixes: list[tuple[str, int]]
    head_keys: list[str]
    metadata: dict[str, str]
    rows: list[RowCheck] = field(default_factory=list)
    detection: Detection | None = None
    refusal: str | None = None


def _is_array(value: Any) -> bool:
    return isinstance(value, (torch.Tensor, np.ndarray))


def _is_tensor_dict(obj: Any) -> bool:
    return isinstance(obj, Mapping) and len(obj) > 0 and all(_is_array(v) for v in obj.values())


def _tensors_in(obj: Any, spec: MethodSpec, container: str | None) -> dict[str, Any] | None:
    """The flat key -> array dict that ``spec``'s key map reads from ``obj[container]`` (or ``obj``)."""
    if not isinstance(obj, Mapping):
        return None
    if spec.key_map == 'byol_haiku':
        state = obj.get(container)
        if not isinstance(state, Mapping) or not isinstance(state.get('online_params'), Mapping):
            return None
        return flatten_byol_state(dict(state)) or None
    if container is None:
        return dict(obj) if _is_tensor_dict(obj) else None
    inner = obj.get(container)
    if not isinstance(inner, Mapping):
        return None
    return {k: v for k, v in inner.items() if _is_array(v)} or None


def layout_matches(source: dict[str, Any], spec: MethodSpec) -> bool:
    """Whether ``spec``'s key map finds the stem convolution (a ViT's patch embedding) in ``source``: for a ViT
    release under the authors' name (``patch_embed.proj.weight``), for our converted ViT files under mmpretrain's."""
    plan = KEY_MAPS[spec.key_map](source.keys(), spec)
    stem = VIT_STEM if spec.vit is not None else 'conv1.weight'
    sources = [src for src, dst in plan.mapping.items() if dst == stem]
    if spec.key_map == 'timm_vit':
        return any(src.endswith(VIT_STEM_SOURCE) for src in sources)
    return bool(sources)


def as_converted(spec: MethodSpec) -> MethodSpec:
    """The layout in which :func:`~.convert.save_converted` writes a ViT row: mmpretrain names, flat
    (safetensors) or under ``'state_dict'`` (``.pth``); no prefixes, heads or key markers."""
    return replace(spec, key_map='mmpretrain_vit', container=PTH_STATE_KEY, alt_containers=(None,), keep_prefix='',
                   strip_prefixes=(), drop_prefixes=(), markers=(), absent_markers=(), absent_entries=())


def key_layout(obj: Any, spec: MethodSpec) -> MethodSpec:
    """The layout whose keys ``obj`` holds for row ``spec``: the row's own, or for a ViT row our converted layout
    (:func:`as_converted`) when only that one is found."""
    if spec.vit is None or locate(obj, spec) is not None:
        return spec
    converted = as_converted(spec)
    return converted if locate(obj, converted) is not None else spec


def vit_arch_in(source: dict[str, Any], spec: MethodSpec) -> tuple[int, int, int] | None:
    """``(width, patch, depth)`` of the ViT ``spec``'s key map finds in ``source`` (``None``: not a ViT)."""
    plan = KEY_MAPS[spec.key_map](source.keys(), spec)
    by_target = {dst: src for src, dst in plan.mapping.items()}
    stem = source.get(by_target.get(VIT_STEM, ''))
    if stem is None or len(getattr(stem, 'shape', ())) != 4:
        return None
    blocks = {int(k.split('.')[1]) for k in by_target if k.startswith('layers.') and k.split('.')[1].isdigit()}
    return int(stem.shape[0]), int(stem.shape[-1]), max(blocks) + 1 if blocks else 0


def vit_arch_matches(source: dict[str, Any], spec: MethodSpec) -> bool:
    """For a ViT row: whether width, patch and depth of the file are the row's (always true for ResNet rows)."""
    if spec.vit is None:
        return True
    return vit_arch_in(source, spec) == (spec.vit.embed_dims, spec.vit.patch_size, spec.vit.num_layers)


def locate(obj: Any, spec: MethodSpec) -> tuple[str | None, dict[str, Any]] | None:
    """``(container, flat source tensors)`` of the first of ``spec.containers`` that holds ``spec``'s layout."""
    for container in spec.containers:
        source = _tensors_in(obj, spec, container)
        if source is not None and layout_matches(source, spec):
            return container, source
    return None


def markers_match(source: dict[str, Any], spec: MethodSpec) -> bool:
    """Whether the head markers of ``spec`` hold for ``source`` (key prefixes, matched with ``startswith``)."""
    return key_markers_match(source, spec) and vit_arch_matches(source, spec)


def key_markers_match(source: dict[str, Any], spec: MethodSpec) -> bool:
    """Whether the key-prefix markers of ``spec`` hold (without a ViT row's width/patch/depth); for our converted
    ViT files, whose keys carry no method's marks, whether patch, grid, LayerScale and registers are the row's."""
    if spec.key_map == 'mmpretrain_vit':
        return not [d for d in found_architecture(source).differences(spec.vit)
                    if not d.startswith(('embed_dims', 'num_layers'))]
    has = lambda marker: any(k.startswith(marker) for k in source)  # noqa: E731
    return all(has(m) for m in spec.markers) and not any(has(m) for m in spec.absent_markers)


def entries_allow(obj: Any, spec: MethodSpec) -> bool:
    """Whether the file holds none of the top-level entries that rule ``spec`` out (``absent_entries``)."""
    return not (isinstance(obj, Mapping) and any(entry in obj for entry in spec.absent_entries))


def is_torchvision_layout(spec: MethodSpec) -> bool:
    """Rows whose files already use torchvision names (supervised, Barlow Twins, DINO, SimCLR-v1 converted)."""
    return spec.key_map == 'prefix' and spec.keep_prefix == ''


def methods_named_by(filename: str | None) -> list[tuple[str, str]]:
    """``(method, why)`` for the methods a file name points to: an official release name, or ``<method>.<ext>``."""
    if not filename:
        return []
    name = Path(filename).name
    named = [(s.name, f'the official file name {name!r}') for s in ALL_METHODS.values()
             if name.lower() in s.known_filenames]
    by_stem = find_method(name.split('.')[0]) or find_method(normalize_name(name.split('.')[0]))
    if by_stem is not None and by_stem.name not in [m for m, _ in named]:
        named.append((by_stem.name, f'the file name {name!r}'))
    return named


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


def _container_text(container: str | None) -> str:
    return f'container {container!r}' if container else 'a raw state dict'


def _how(spec: MethodSpec) -> str:
    return {'prefix': f'keys starting with {spec.keep_prefix!r}' if spec.keep_prefix else 'torchvision key names',
            'simclrv2': 'SimCLRv2-Pytorch key names (net.0.0, net.{s}.blocks.{b}...)',
            'byol_haiku': 'BYOL Haiku module paths (online_params/online_state)',
            'timm_vit': f'ViT keys (patch_embed.proj, blocks.N) under {spec.keep_prefix or "no prefix"!r}'
                        + (f' after stripping {list(spec.strip_prefixes)}' if spec.strip_prefixes else ''),
            'mmpretrain_vit': 'converted ViT keys (patch_embed.projection, layers.N: mmpretrain names)',
            }[spec.key_map]


def _heads(source: dict[str, Any], spec: MethodSpec) -> list[str]:
    """Source keys ``spec``'s key map drops as heads (inside the backbone prefix or Haiku head modules)."""
    dropped = KEY_MAPS[spec.key_map](source.keys(), spec).dropped
    if spec.key_map == 'byol_haiku':
        return [k for k in dropped if k.split('/')[1] in spec.drop_prefixes]
    return [k for k in dropped if k.startswith(spec.keep_prefix)] if spec.keep_prefix else dropped


def _normalisation_groups(names: list[str]) -> str:
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(ALL_METHODS[name].normalization, []).append(name)
    text = {'unit': 'unit ([0, 1] input)', 'imagenet': 'imagenet (mean/std)'}
    return '; '.join(f'{", ".join(members)}: {text.get(norm, norm)}' for norm, members in groups.items())


def explain_format(obj: Any, filename: str | None = None,
                   metadata: Mapping[str, str] | None = None) -> Explanation:
    """Run format detection and keep its reasoning (see module docstring); never raises."""
    metadata = dict(metadata or {})
    where = f'{filename}: ' if filename else ''
    named = methods_named_by(filename)
    named_methods = {m: why for m, why in reversed(named)}  # first reason wins
    rows, candidates, located, views = [], [], {}, {}
    for spec in ALL_METHODS.values():
        view = key_layout(obj, spec)  # a ViT row reads our converted files too
        found = locate(obj, view)
        name_note = named_methods.get(spec.name, '')
        if found is None:
            holders = [c for c in spec.containers if (_is_tensor_dict(obj) if c is None else
                                                      isinstance(obj, Mapping) and isinstance(obj.get(c), Mapping))]
            if holders:
                container, verdict = _container_text(holders[0]), f'no: {_how(spec)} not found'
            else:
                container = 'missing: ' + ' or '.join(_container_text(c) for c in spec.containers)
                verdict = 'no: container missing'
            rows.append(RowCheck(spec.name, container, False, False, name_note, verdict))
            continue
        container, source = found
        located[spec.name], views[spec.name] = found, view
        ok = markers_match(source, view) and entries_allow(obj, spec)
        if ok:
            candidates.append(spec)
        markers = ', '.join([f'{list(view.markers)} present'] * bool(view.markers) +
                            [f'{list(view.absent_markers)} absent'] * bool(view.absent_markers) +
                            [f'top-level {list(spec.absent_entries)} absent'] * bool(spec.absent_entries) +
                            ['patch, grid, LayerScale and registers of the row'] * (view is not spec) +
                            ([f'ViT width/patch/depth {spec.vit.embed_dims}/{spec.vit.patch_size}/'
                              f'{spec.vit.num_layers}, file has {"/".join(map(str, vit_arch_in(source, view)))}']
                             if spec.vit is not None else []))
        verdict = (f'candidate (head markers {markers})' if markers else 'candidate') if ok else \
            f'no: head markers differ (needs {markers})'
        rows.append(RowCheck(spec.name, _container_text(container), True, ok, name_note, verdict))
    layout_rows = [ALL_METHODS[m] for m in located]
    # no row's markers hold: the rows whose key markers hold (a tiny ViT: any width), else every row with the layout
    candidates = candidates or [s for s in layout_rows if s.vit is not None and entries_allow(obj, s) and
                                key_markers_match(located[s.name][1], views[s.name])] or layout_rows
    first = candidates[0] if candidates else None
    explanation = dict(
        source=filename or '<state dict>', top_level_keys=[str(k) for k in obj] if isinstance(obj, Mapping) else [],
        prefixes=_common_prefixes(obj), metadata=metadata,
        head_keys=_heads(located[first.name][1], views[first.name]) if first else [], rows=rows)
    if first is None:
        return Explanation(**explanation, refusal=f'{where}unknown checkpoint layout: no zoo method matches '
                                                  f'({describe_layout(obj)})')
    names = [s.name for s in candidates]
    container = located[first.name][0]
    first_view = views[first.name]
    evidence = f'{_container_text(container)} with {_how(first_view)}'
    if first_view.markers or first_view.absent_markers:
        evidence += f'; head markers {list(first_view.markers)} present, {list(first_view.absent_markers)} absent'

    recorded = metadata.get(METHOD_KEY, '')
    recorded_rows = ambiguous_candidates(recorded) or (recorded,)
    # our converted ViT file: the recorded row (one of those its architecture allows) gives heads and all
    converted_vit = all(views[s.name].key_map == 'mmpretrain_vit' for s in candidates) and \
        set(recorded_rows) <= set(names)
    if is_recorded_method(recorded) and (converted_vit or all(is_torchvision_layout(s) for s in candidates)):
        row = ALL_METHODS.get(recorded)
        norm = metadata.get(NORMALIZATION_KEY) or (row.normalization if row else '')
        if norm:
            kind = 'ViT file in mmpretrain names' if converted_vit else 'file in torchvision layout'
            detection = Detection(method=recorded, candidates=recorded_rows,
                                  layout=recorded_rows[0] if converted_vit else first.name, normalization=norm,
                                  detected_by=f'converted {kind}; its metadata records {recorded!r} with {norm} '
                                              'normalisation')
            return Explanation(**explanation, detection=detection)

    converted = all(is_torchvision_layout(s) for s in candidates)  # any method may be in torchvision names
    hints = [(m, why) for m, why in named if (m in names or converted) and names != [m]]
    if hints:
        method, why = hints[0]
        extra = '' if method in names else ' (a file in torchvision names may hold any converted method)'
        # a ViT row's own layout carries its architecture (ViT-S vs ViT-B share keys, not shapes)
        layout = method if method in located and ALL_METHODS[method].vit is not None else first.name
        detection = Detection(method=method, candidates=tuple(names), layout=layout,
                              detected_by=f'{evidence}; chosen by {why} among {names}{extra}')
        return Explanation(**explanation, detection=detection)
    if len(candidates) == 1:
        return Explanation(**explanation, detection=Detection(method=first.name, candidates=(first.name,),
                                                              detected_by=evidence))
    norms = {s.normalization for s in candidates}
    if len(norms) > 1:
        official = ', '.join(f'{s.known_filenames[0]} for {s.name}' for s in candidates if s.known_filenames)
        refusal = (f'{where}{evidence}: this layout is shared by methods that expect different input normalisation '
                   f'({_normalisation_groups(names)}); pass method=... (one of {", ".join(names)}) to say which'
                   + (f', or keep the official file name ({official})' if official else ''))
        return Explanation(**explanation, refusal=refusal)
    detection = Detection(method=ambiguous_method(names), candidates=tuple(names), layout=first.name,
                          normalization=norms.pop(),
                          detected_by=f'{evidence}; the layout of {" and ".join(names)}, which only their file names '
                                      f'tell apart: recorded as ambiguous (pass method= to name it)')
    return Explanation(**explanation, detection=detection)


def detect_format(obj: Any, filename: str | None = None, metadata: Mapping[str, str] | None = None) -> Detection:
    """Identify the zoo layout and method of a loaded checkpoint (see module docstring).

    Args:
        obj: The top-level object of the checkpoint (dict).
        filename: Optional file name, used only to choose among methods with an identical layout.
        metadata: Optional metadata of our own converted files (safetensors metadata, ``.pth`` ``meta``).

    Raises:
        CheckpointError: no zoo layout matches (the message lists the top-level keys and common prefixes), or
            the layout is shared by methods with different input normalisation (the message asks for method=).
    """
    explanation = explain_format(obj, filename, metadata)
    if explanation.detection is None:
        raise CheckpointError(explanation.refusal)
    return explanation.detection
