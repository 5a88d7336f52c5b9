"""Convert any zoo checkpoint to a strict torchvision ResNet-50 state dict (no ``fc``), with a report.

A ViT row's file becomes an mmpretrain ``VisionTransformer`` state dict (plus ``register_tokens``) checked against
the row's architecture at the file's width and depth (:mod:`.vit_layout`); ``report.architecture`` records it.
:func:`save_converted` writes it in those names with the row in its metadata, and :func:`convert` reads such a file
back as that row (:func:`~.formats.as_converted`).

``convert(src, method='auto')`` loads the file safely (:mod:`.safe_load`), detects or takes the method
(:mod:`.formats`), renames keys (:mod:`.keymaps`) and then checks the result against the ResNet-50 layout of the
width found in ``conv1.weight`` (:mod:`.resnet_layout`): every backbone tensor present with the right shape,
nothing unknown left under the backbone prefix. Anything else is a :class:`CheckpointError`. BatchNorm
``num_batches_tracked`` counters, which TensorFlow/JAX-born checkpoints do not have, are filled with 0 and
reported as ``filled``; they do not influence the network.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import torch

from mmssl_transfer.fileio import atomic_path

from .errors import CheckpointError
from .formats import (Explanation, describe_layout, detect_format, explain_format, is_torchvision_layout, key_layout,
                      locate)
from .keymaps import KEY_MAPS, to_tensor
from .metadata import METHOD_KEY, PTH_META_KEY, PTH_STATE_KEY, converted_file_metadata, pth_metadata
from .resnet_layout import is_batch_counter, resnet50_shapes
from .safe_load import LoadedCheckpoint, load_checkpoint
from .vit_layout import found_architecture, to_timm_name, vit_shapes
from .zoo import ALL_METHODS, ARCHITECTURE_NAMES, MethodSpec, ambiguous_candidates, find_method

_LIST_LIMIT = 12


@dataclass
class ConversionReport:
    """What a conversion read, kept, dropped and checked (all key lists use the source file's key names).

    ``method`` is a zoo name, or ``'ambiguous: a, b'`` when the layout is shared by methods that only a file name
    tells apart (the network and its ``normalization`` are the same either way; results keep the ambiguity).
    ``layout`` is the zoo row whose key layout was converted.
    """

    source: str
    method: str
    detected_by: str
    candidates: tuple[str, ...] = ()
    layout: str = ''
    base_channels: int = 0
    num_params: int = 0
    num_tensors: int = 0
    sha256: str | None = None
    loader: str = 'object'
    normalization: str = 'imagenet'
    kept: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)
    ignored_entries: list[str] = field(default_factory=list)
    architecture: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (for logs and result records)."""
        return asdict(self)


@dataclass
class Conversion:
    """A converted backbone: ``state_dict`` in torchvision ResNet-50 names (no fc) and its ``report``."""

    state_dict: OrderedDict[str, torch.Tensor]
    report: ConversionReport

    @property
    def spec(self) -> MethodSpec | None:
        """The zoo row of the converted method (``None`` when the method is ambiguous)."""
        return find_method(self.report.method)


def _listing(keys: list[str]) -> str:
    shown = ', '.join(keys[:_LIST_LIMIT])
    return shown + (f' ... and {len(keys) - _LIST_LIMIT} more' if len(keys) > _LIST_LIMIT else '')


def _as_loaded(src: str | Path | Mapping | LoadedCheckpoint) -> LoadedCheckpoint:
    if isinstance(src, LoadedCheckpoint):
        return src
    if isinstance(src, Mapping):
        return LoadedCheckpoint(obj=dict(src), loader='object', metadata=pth_metadata(src))
    return load_checkpoint(src)


def _param_count(state_dict: Mapping[str, torch.Tensor]) -> int:
    return sum(t.numel() for k, t in state_dict.items()
               if not k.endswith(('.running_mean', '.running_var', '.num_batches_tracked')))


def convert(src: str | Path | Mapping | LoadedCheckpoint, method: str = 'auto') -> Conversion:
    """Convert a checkpoint file (or an already loaded state-dict-like object) to torchvision ResNet-50 names.

    Args:
        src: Path of the checkpoint, or its top-level object (e.g. a state dict).
        method: A zoo name or alias (``'mocov2'``, ``'MoCo-v2'``...), or ``'auto'`` to detect it.

    Returns:
        :class:`Conversion` with the strict state dict (every backbone key, no fc) and the report.

    Raises:
        CheckpointError: unreadable/unsafe file, unknown layout or method, missing or unexpected backbone keys,
            or a shape mismatch. The message names the file and lists the offending keys.
    """
    loaded = _as_loaded(src)
    name = str(loaded.path) if loaded.path else '<state dict>'
    obj = loaded.obj
    ignored_top: list[str] = []
    if method == 'auto':
        detection = detect_format(obj, filename=str(loaded.path) if loaded.path else None,
                                  metadata=loaded.metadata)
        method_name, layout, normalization = detection.method, ALL_METHODS[detection.layout], detection.normalization
        detected_by, candidates = detection.detected_by, detection.candidates
    else:
        spec = layout = find_method(method)
        if spec is None:
            raise CheckpointError(f'{name}: unknown method {method!r} (use auto or one of the zoo names)')
        method_name, normalization = spec.name, spec.normalization
        detected_by, candidates = f'given: method={method!r}', (spec.name,)
        if key_layout(obj, spec) is not spec:  # our converted file of a ViT row
            recorded = loaded.metadata.get(METHOD_KEY, '')
            if recorded and spec.name not in (ambiguous_candidates(recorded) or (recorded,)):
                raise CheckpointError(f'{name}: a converted file of {recorded} (its metadata says so), not of '
                                      f'{spec.name}; pass method=auto or method={recorded!r}')
            detected_by += '; the file is already converted (mmpretrain names)'
        elif locate(obj, spec) is None:  # an already converted file (torchvision names) of this method?
            converted = [s for s in ALL_METHODS.values() if is_torchvision_layout(s) and locate(obj, s) is not None]
            if converted:
                layout = converted[0]
                detected_by += '; the file is already in torchvision layout'
    keys = key_layout(obj, layout)  # the layout the file's keys are in (a ViT row: the release's, or ours)
    found = locate(obj, keys)
    if found is None:
        where = f'container {layout.container!r}' if layout.container else 'a raw state dict'
        raise CheckpointError(f'{name}: not in the {layout.name} layout (expected {where} with '
                              f'{layout.keep_prefix or "torchvision"!r}-style keys); found {describe_layout(obj)}'
                              + _layout_hint(obj, loaded))
    container, source = found
    if isinstance(obj, Mapping) and container is not None:
        ignored_top = [str(k) for k in obj if k != container]

    plan = KEY_MAPS[keys.key_map](source.keys(), keys)
    converted: dict[str, torch.Tensor] = {}
    origin: dict[str, str] = {}
    for src_key, dst_key in plan.mapping.items():
        if dst_key in converted:
            raise CheckpointError(f'{name}: keys {origin[dst_key]!r} and {src_key!r} both map to {dst_key!r}')
        try:
            converted[dst_key] = to_tensor(source[src_key], plan.transform[src_key])
        except (TypeError, RuntimeError) as err:
            raise CheckpointError(f'{name}: cannot convert {src_key!r} to {dst_key!r} ({err})') from None
        origin[dst_key] = src_key

    if layout.vit is not None:
        return _checked_vit(converted, origin, obj, name, layout, loaded, plan.dropped, ignored_top,
                            dict(method=method_name, detected_by=detected_by, candidates=tuple(candidates),
                                 normalization=normalization))
    stem = converted['conv1.weight']
    if stem.dim() != 4 or tuple(stem.shape[1:]) != (3, 7, 7):
        raise CheckpointError(f'{name}: shape mismatch: conv1.weight has shape {tuple(stem.shape)}, expected '
                              '(C, 3, 7, 7) of a ResNet-50 with a plain 7x7 stem')
    base_channels = int(stem.shape[0])
    expected = resnet50_shapes(base_channels)

    unexpected = [origin[k] for k in converted if k not in expected]
    missing = [k for k in expected if k not in converted and not is_batch_counter(k)]
    if missing:
        raise CheckpointError(f'{name}: {len(missing)} backbone keys missing for {layout.name} (ResNet-50, base '
                              f'width {base_channels}): {_listing(missing)}')
    mismatched = [f'{k} {tuple(converted[k].shape)} vs expected {shape}' for k, shape in expected.items()
                  if k in converted and tuple(converted[k].shape) != shape]
    if mismatched:
        raise CheckpointError(f'{name}: shape mismatch against a ResNet-50 of base width {base_channels} '
                              f'({len(mismatched)} tensors): {_listing(mismatched)}')
    if unexpected:
        raise CheckpointError(f'{name}: {len(unexpected)} unexpected keys under the backbone prefix (not part of '
                              f'a ResNet-50 of base width {base_channels}): {_listing(unexpected)}')

    state_dict: OrderedDict[str, torch.Tensor] = OrderedDict()
    filled = []
    for key in expected:
        if key in converted:
            tensor = converted[key]
            state_dict[key] = tensor.to(torch.long) if is_batch_counter(key) else tensor
        else:
            state_dict[key] = torch.tensor(0, dtype=torch.long)
            filled.append(key)
    report = ConversionReport(
        source=name, method=method_name, detected_by=detected_by, candidates=tuple(candidates), layout=layout.name,
        base_channels=base_channels, num_params=_param_count(state_dict), num_tensors=len(state_dict),
        sha256=loaded.sha256, loader=loaded.loader, normalization=normalization,
        kept=[origin[k] for k in expected if k in converted], dropped=list(plan.dropped), missing=[],
        unexpected=[], filled=filled, ignored_entries=ignored_top)
    return Conversion(state_dict=state_dict, report=report)


def _layout_hint(obj: Any, loaded: LoadedCheckpoint) -> str:
    """``'; the file has the layout of <method> (<architecture>)'`` when detection recognises it, else ''."""
    try:
        found = detect_format(obj, filename=str(loaded.path) if loaded.path else None, metadata=loaded.metadata)
    except CheckpointError:
        return ''
    architecture = ARCHITECTURE_NAMES[ALL_METHODS[found.layout].architecture]
    return f'; the file has the layout of {found.method} (a {architecture})'


def _checked_vit(converted: dict[str, torch.Tensor], origin: dict[str, str], obj: Any, name: str, layout: MethodSpec,
                 loaded: LoadedCheckpoint, dropped: list[str], ignored_top: list[str],
                 identity: dict[str, Any]) -> Conversion:
    """The strict check of a ViT row: the row's patch, grid, LayerScale and registers, every tensor of that
    layout at the file's width and depth present with its shape, nothing else. Messages use the file's key names."""
    found = found_architecture(converted)
    arch = replace(layout.vit, embed_dims=found.embed_dims, num_layers=found.num_layers,
                   num_heads=layout.vit.num_heads if found.embed_dims % layout.vit.num_heads == 0 else 1)
    wrong = found.differences(arch)
    if wrong:
        try:
            other = detect_format(obj).method
        except CheckpointError:
            other = ''
        hint = f'; the file has the layout of {other}' if other and other != layout.name else ''
        raise CheckpointError(f'{name}: not a {layout.name} ({layout.paper_name}) ViT: {", ".join(wrong)}{hint}')
    expected = vit_shapes(arch)
    missing = [to_timm_name(k) for k in expected if k not in converted]
    if missing:
        raise CheckpointError(f'{name}: {len(missing)} backbone keys missing for {layout.name} (ViT, width '
                              f'{arch.embed_dims}, {arch.num_layers} blocks): {_listing(missing)}')
    mismatched = [f'{origin[k]} {tuple(converted[k].shape)} vs expected {shape}' for k, shape in expected.items()
                  if tuple(converted[k].shape) != shape]
    if mismatched:
        raise CheckpointError(f'{name}: shape mismatch against the {layout.name} ViT of width {arch.embed_dims} '
                              f'({len(mismatched)} tensors): {_listing(mismatched)}')
    unexpected = [origin[k] for k in converted if k not in expected]
    if unexpected:
        raise CheckpointError(f'{name}: {len(unexpected)} unexpected keys (not part of the {layout.name} ViT): '
                              f'{_listing(unexpected)}')
    state_dict = OrderedDict((k, converted[k]) for k in expected)
    report = ConversionReport(
        source=name, layout=layout.name, base_channels=arch.embed_dims, num_params=_param_count(state_dict),
        num_tensors=len(state_dict), sha256=loaded.sha256, loader=loaded.loader, kept=[origin[k] for k in expected],
        dropped=list(dropped), ignored_entries=ignored_top, architecture=arch.to_dict(), **identity)
    return Conversion(state_dict=state_dict, report=report)


def save_converted(conversion: Conversion, dst: str | Path, fmt: str | None = None) -> Path:
    """Write the converted backbone as a clean file that records its method and normalisation; return its path.

    Args:
        conversion: Output of :func:`convert`.
        dst: Destination path (parent folders are created; written atomically).
        fmt: ``'pth'`` (mmengine's checkpoint layout ``{'state_dict': <tensors>, 'meta': {...}}``, loadable with
            ``weights_only=True`` and by OpenMMLab's ``Pretrained`` init) or ``'safetensors'`` (the same facts in
            its metadata). Defaults to the destination's suffix (``.safetensors`` -> safetensors, else pth).
            Both record method, normalisation, source sha256 and width (:mod:`.metadata`).
    """
    dst = Path(dst)
    fmt = fmt or ('safetensors' if dst.suffix == '.safetensors' else 'pth')
    if fmt not in ('pth', 'safetensors'):
        raise ValueError(f"fmt must be 'pth' or 'safetensors', got {fmt!r}")
    tensors = {k: v.contiguous() for k, v in conversion.state_dict.items()}
    report = conversion.report
    metadata = converted_file_metadata(report.method, report.normalization, report.sha256, report.base_channels)
    with atomic_path(dst) as tmp:
        if fmt == 'pth':
            torch.save({PTH_STATE_KEY: tensors, PTH_META_KEY: metadata}, tmp)
        else:
            from safetensors.torch import save_file
            save_file(tensors, str(tmp), metadata=metadata)
    return dst


def explain(src: str | Path | Mapping | LoadedCheckpoint) -> tuple[LoadedCheckpoint, Explanation]:
    """Load ``src`` safely and return how its format is detected (``convert_checkpoint.py --explain``)."""
    loaded = _as_loaded(src)
    return loaded, explain_format(loaded.obj, filename=str(loaded.path) if loaded.path else None,
                                  metadata=loaded.metadata)
