"""Image loading for the recognition pipelines: mmcv's ``LoadImageFromFile`` that names a file it cannot decode.

mmcv fails on an undecodable image with a bare ``AssertionError: failed to load image`` (cv2) or Pillow's
``cannot identify image file <BytesIO ...>``, raised deep in a data-loader worker. :class:`CheckedLoadImageFromFile`
is the same transform with one :class:`ImageDecodeError` that names the file instead; the error keeps its one-line
message when a PyTorch data-loader worker re-raises it in the main process (the tools then print it and exit 2).
"""
from __future__ import annotations

from mmcv.transforms import LoadImageFromFile
from mmpretrain.registry import TRANSFORMS

from mmssl_transfer.errors import InputError

_WORKER_PREFIX = 'Caught ImageDecodeError'


class ImageDecodeError(InputError):
    """An image file that cannot be decoded (truncated, or not an image under an image name)."""

    def __init__(self, message: str) -> None:
        if message.startswith(_WORKER_PREFIX):  # a data-loader worker's re-raise: keep the original message
            lines = [line for line in message.splitlines() if 'ImageDecodeError: ' in line]
            if lines:
                message = lines[-1].split('ImageDecodeError: ', 1)[1]
        super().__init__(message)


@TRANSFORMS.register_module()
class CheckedLoadImageFromFile(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` (same arguments); a file that cannot be decoded is an :class:`ImageDecodeError`
    naming it and the decoder used."""

    def transform(self, results: dict) -> dict | None:
        try:
            out = super().transform(results)
        except (OSError, ValueError, AssertionError) as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            raise ImageDecodeError(f'{results["img_path"]}: cannot be decoded as an image with '
                                   f'{self.imdecode_backend} ({type(exc).__name__}: '
                                   f'{str(exc).splitlines()[0] if str(exc) else ""})') from None
        return out
