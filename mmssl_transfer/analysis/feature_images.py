"""The pictures of the feature-property records, per backbone: each image's original, DIP reconstruction and
saliency map (PNG paths the records keep in ``extra['images']``), for the report's one-figure-per-backbone."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from mmssl_transfer.results import TransferResult

from .tables import row_label

PICTURES = ('original', 'reconstruction', 'saliency')


def feature_images(results: Iterable[TransferResult]) -> dict[str, list[dict[str, str]]]:
    """Row label -> one entry per image whose three PNGs exist: ``dataset``, ``image_id``, the three paths and
    ``saliency_view`` (the saliency input's pixels under the map; the original in records without it)."""
    out: dict[str, list[dict[str, str]]] = {}
    for result in results:
        if result.task != 'feature_properties':
            continue
        for image in result.extra.get('images', []):
            pngs = image.get('pngs') if isinstance(image, dict) else None
            if not isinstance(pngs, dict) or not all(Path(str(pngs.get(k, ''))).is_file() for k in PICTURES):
                continue
            out.setdefault(row_label(result), []).append(
                {'dataset': str(image.get('dataset', '')), 'image_id': str(image.get('image_id', '')),
                 **{k: str(pngs[k]) for k in PICTURES},
                 'saliency_view': str(pngs.get('saliency_view') or pngs['original'])})
    return out
