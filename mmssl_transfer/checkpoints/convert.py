"""Convert any zoo checkpoint to a strict torchvision ResNet-50 state dict (no ``fc``), with a report.

``convert(src, method='auto')`` loads the file safely (:mod:`.safe_load`), detects or takes the method
(:mod:`.formats`), renames keys (:mod:`.keymaps`) and then checks the result against the ResNet-50 layout of the
width found in ``conv1.weight`` (:mod:`.resnet_layout`): every backbone tensor present with the right shape,
nothing unknown left under the backbone prefix. Anything else is a :class:`CheckpointError`. BatchNorm
``num_batches_tracked`` counters, which TensorFlow/JAX-born checkpoints do not have, are filled with 0 and
reported as ``filled``; they do not influence the network.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

import torch

from mmssl_transfer.fileio import atomic_path

from .errors import CheckpointError
from .formats import (METADATA_METHOD_KEY, TORCHVISION_LAYOUT, describe_layout, detect_format, layout_matches,
                      source_tensors)
from .keymaps import KEY_MAPS, to_tensor
from .resnet_layout import is_batch_counter, resnet50_shapes
from .safe_load import LoadedCheckpoint, load_checkpoint
from .zoo import MethodSpec, find_method

_LIST_LIMIT = 12


@dataclass
class ConversionReport:
    """What a conversion read, kept, dropped and checked (all key lists use the source file's key names)."""

    source: str
    method: str
    detected_by: str
    candidates: tuple[str, ...] = ()
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

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (for logs and result records)."""
        return asdict(self)


@dataclass
class Conversion:
    """A converted backbone: ``state_dict`` in torchvision ResNet-50 names (no fc) and its ``report``."""

    state_dict: OrderedDict[str, torch.Tensor]
    report: ConversionReport

    @property
    def spec(self) -> MethodSpec:
        """The zoo row of the converted method."""
        return find_method(self.report.method)


def _listing(keys: list[str]) -> str:
    shown = ', '.join(keys[:_LIST_LIMIT])
    return shown + (f' ... and {len(keys) - _LIST_LIMIT} more' if len(keys) > _LIST_LIMIT else '')


def _as_loaded(src: str | Path | Mapping | LoadedCheckpoint) -> LoadedCheckpoint:
    if isinstance(src, LoadedCheckpoint):
        return src
    if isinstance(src, Mapping):
        return LoadedCheckpoint(obj=dict(src), loader='object')
    return load_checkpoint(src)


def _layout_ok(obj: Any, spec: MethodSpec) -> bool:
    source = source_tensors(obj, spec)
    return source is not None and layout_matches(source, spec)


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
        spec, layout = find_method(detection.method), find_method(detection.layout)
        detected_by, candidates = detection.detected_by, detection.candidates
    else:
        spec = layout = find_method(method)
        if spec is None:
            raise CheckpointError(f'{name}: unknown method {method!r} (use auto or one of the zoo names)')
        detected_by, candidates = f'given: method={method!r}', (spec.name,)
        if not _layout_ok(obj, spec) and _layout_ok(obj, find_method(TORCHVISION_LAYOUT)):
            layout = find_method(TORCHVISION_LAYOUT)  # an already converted (torchvision-layout) file
            detected_by += '; the file is already in torchvision layout'
    source = source_tensors(obj, layout)
    if source is None or not layout_matches(source, layout):
        where = f'container {spec.container!r}' if spec.container else 'a raw state dict'
        raise CheckpointError(f'{name}: not in the {spec.name} layout (expected {where} with '
                              f'{spec.keep_prefix or "torchvision"!r}-style keys); found {describe_layout(obj)}')
    if isinstance(obj, Mapping) and layout.container is not None:
        ignored_top = [str(k) for k in obj if k != layout.container]

    plan = KEY_MAPS[layout.key_map](source.keys(), layout)
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

    stem = converted['conv1.weight']
    if stem.dim() != 4 or tuple(stem.shape[1:]) != (3, 7, 7):
        raise CheckpointError(f'{name}: shape mismatch: conv1.weight has shape {tuple(stem.shape)}, expected '
                              '(C, 3, 7, 7) of a ResNet-50 with a plain 7x7 stem')
    base_channels = int(stem.shape[0])
    expected = resnet50_shapes(base_channels)

    unexpected = [origin[k] for k in converted if k not in expected]
    missing = [k for k in expected if k not in converted and not is_batch_counter(k)]
    if missing:
        raise CheckpointError(f'{name}: {len(missing)} backbone keys missing for {spec.name} (ResNet-50, base '
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
        source=name, method=spec.name, detected_by=detected_by, candidates=tuple(candidates),
        base_channels=base_channels, num_params=_param_count(state_dict), num_tensors=len(state_dict),
        sha256=loaded.sha256, loader=loaded.loader, normalization=spec.normalization,
        kept=[origin[k] for k in expected if k in converted], dropped=list(plan.dropped), missing=[],
        unexpected=[], filled=filled, ignored_entries=ignored_top)
    return Conversion(state_dict=state_dict, report=report)


def save_converted(conversion: Conversion, dst: str | Path, fmt: str | None = None) -> Path:
    """Write the converted backbone as a clean file and return its path.

    Args:
        conversion: Output of :func:`convert`.
        dst: Destination path (parent folders are created).
        fmt: ``'pth'`` (a plain state dict written by ``torch.save``, loadable with ``weights_only=True``) or
            ``'safetensors'`` (method and source sha256 recorded in its metadata). Defaults to the
            destination's suffix (``.safetensors`` -> safetensors, else pth).
    """
    dst = Path(dst)
    fmt = fmt or ('safetensors' if dst.suffix == '.safetensors' else 'pth')
    if fmt not in ('pth', 'safetensors'):
        raise ValueError(f"fmt must be 'pth' or 'safetensors', got {fmt!r}")
    tensors = {k: v.contiguous() for k, v in conversion.state_dict.items()}
    with atomic_path(dst) as tmp:
        if fmt == 'pth':
            torch.save(tensors, tmp)
        else:
            from safetensors.torch import save_file
            report = conversion.report
            save_file(tensors, str(tmp), metadata={METADATA_METHOD_KEY: report.method,
                                              'mmssl_transfer.source_sha256': report.sha256 or '',
                                              'mmssl_transfer.base_channels': str(report.base_channels)})
    return dst


def convert_file(src: str | Path, dst: str | Path, method: str = 'auto', fmt: str | None = None) -> Conversion:
    """Convert ``src`` (a file, URL or zoo name, see :func:`~.download.resolve_checkpoint`) and write ``dst``."""
    from .download import resolve_checkpoint
    conversion = convert(resolve_checkpoint(src), method=method)
    save_converted(conversion, dst, fmt=fmt)
    return conversion
