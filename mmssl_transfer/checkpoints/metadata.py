"""What our own converted files record about themselves, and where.

Every file :func:`~.convert.save_converted` writes says which method it holds and which input normalisation that
method expects, so reading it back with ``method='auto'`` gives the same answer (a torchvision state dict alone
cannot tell SimCLR, which wants [0, 1] input, from a supervised network):

* ``.safetensors``: the safetensors metadata (string -> string);
* ``.pth``: mmengine's checkpoint layout ``{'state_dict': <tensors>, 'meta': {<the same strings>}}``, which
  mmengine/mmdet/mmseg/mmpretrain ``Pretrained`` initialisation reads as is, with ``torch.load(weights_only=True)``.

A method may be a zoo name or ``'ambiguous: a, b'`` (see :func:`~.zoo.ambiguous_method`).
"""
from __future__ import annotations

from typing import Any, Mapping

PREFIX = 'mmssl_transfer.'
METHOD_KEY = PREFIX + 'method'
NORMALIZATION_KEY = PREFIX + 'normalization'
SOURCE_SHA256_KEY = PREFIX + 'source_sha256'
BASE_CHANNELS_KEY = PREFIX + 'base_channels'
#: Top-level keys of our ``.pth`` files.
PTH_STATE_KEY, PTH_META_KEY = 'state_dict', 'meta'


def converted_file_metadata(method: str, normalization: str, source_sha256: str | None,
                            base_channels: int) -> dict[str, str]:
    """The strings recorded in a converted file."""
    return {METHOD_KEY: method, NORMALIZATION_KEY: normalization, SOURCE_SHA256_KEY: source_sha256 or '',
            BASE_CHANNELS_KEY: str(base_channels)}


def pth_metadata(obj: Any) -> dict[str, str]:
    """Our metadata from a loaded ``.pth`` object (``obj['meta']``), or ``{}`` when it is not one of our files."""
    meta = obj.get(PTH_META_KEY) if isinstance(obj, Mapping) else None
    if not isinstance(meta, Mapping) or not isinstance(meta.get(METHOD_KEY), str):
        return {}
    return {k: str(v) for k, v in meta.items() if isinstance(k, str) and k.startswith(PREFIX)}
