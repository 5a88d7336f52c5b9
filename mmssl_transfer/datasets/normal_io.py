"""Reading, writing and checking surface-normal maps and their validity masks.

On disk a normal map is a 3-channel 16-bit PNG holding x, y, z in the R, G, B channels, each stored as
``round((n + 1) / 2 * 65535)`` (quantisation error below 0.003 degree), or a float32 ``.npy`` array of shape
(H, W, 3). A validity mask is an 8-bit PNG, non-zero where the ground truth is valid (Ladicky et al.'s
``depthValid``). Pixels outside the mask may hold anything; inside it every normal must be finite and
non-zero, otherwise loading fails with an error naming the file.
"""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from mmssl_transfer.errors import InputError

PNG_MAX = 65535
#: Smallest norm a stored normal may have at a valid pixel before it counts as a zero vector.
MIN_VALID_NORM = 0.5


class NormalMapError(InputError):
    """A normal map or mask file is missing, unreadable or holds invalid normals."""


def encode_normals_png(normals: np.ndarray) -> np.ndarray:
    """(H, W, 3) float normals -> (H, W, 3) uint16 in RGB (= xyz) order; non-finite values become 0."""
    normals = np.nan_to_num(np.asarray(normals, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    return np.round((np.clip(normals, -1.0, 1.0) + 1.0) / 2.0 * PNG_MAX).astype(np.uint16)


def decode_normals_png(encoded: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint16 in RGB order -> (H, W, 3) float32 normals in [-1, 1]."""
    return (encoded.astype(np.float32) / PNG_MAX) * 2.0 - 1.0


def save_normal_map(path: str | os.PathLike, normals: np.ndarray) -> Path:
    """Write (H, W, 3) normals to a 16-bit ``.png`` or a float32 ``.npy`` (by suffix)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == '.npy':
        np.save(path, np.asarray(normals, dtype=np.float32))
    elif path.suffix == '.png':
        # cv2 writes BGR: reverse so that the file's R, G, B channels hold x, y, z.
        if not cv2.imwrite(str(path), encode_normals_png(normals)[..., ::-1]):
            raise NormalMapError(f'{path}: could not write the normal map')
    else:
        raise NormalMapError(f'{path}: normal maps are .png (16-bit) or .npy files')
    return path


def save_normal_mask(path: str | os.PathLike, valid: np.ndarray) -> Path:
    """Write a boolean validity mask as an 8-bit PNG (255 = valid)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), np.where(np.asarray(valid, dtype=bool), 255, 0).astype(np.uint8)):
        raise NormalMapError(f'{path}: could not write the validity mask')
    return path


def load_normal_map(path: str | os.PathLike) -> np.ndarray:
    """Read a normal map file as (H, W, 3) float32 (not yet checked; see :func:`check_normal_map`)."""
    path = Path(path)
    if not path.is_file():
        raise NormalMapError(f'{path}: normal map file not found')
    if path.suffix == '.npy':
        try:
            normals = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise NormalMapError(f'{path}: not a readable .npy normal map ({exc})') from None
        normals = np.asarray(normals, dtype=np.float32)
    else:
        encoded = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if encoded is None:
            raise NormalMapError(f'{path}: not a readable image')
        if encoded.dtype != np.uint16 or encoded.ndim != 3 or encoded.shape[2] != 3:
            raise NormalMapError(f'{path}: a normal map PNG must be 16-bit with 3 channels, found '
                                 f'{encoded.dtype} with shape {encoded.shape}')
        normals = decode_normals_png(encoded[..., ::-1])
    if normals.ndim != 3 or normals.shape[2] != 3:
        raise NormalMapError(f'{path}: a normal map must have shape (H, W, 3), found {normals.shape}')
    return normals


def load_normal_mask(path: str | os.PathLike) -> np.ndarray:
    """Read a validity mask PNG as an (H, W) boolean array (non-zero = valid)."""
    path = Path(path)
    if not path.is_file():
        raise NormalMapError(f'{path}: validity mask file not found')
    mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise NormalMapError(f'{path}: not a readable image')
    if mask.ndim != 2:
        raise NormalMapError(f'{path}: a validity mask must have one channel, found shape {mask.shape}')
    return mask > 0


def check_normal_map(normals: np.ndarray, valid: np.ndarray, path: str | os.PathLike,
                     image_shape: tuple[int, int] | None = None) -> None:
    """Raise :class:`NormalMapError` naming ``path`` when the map cannot serve as ground truth.

    Checks that the map and mask (and image, when given) have the same size and that every valid pixel
    holds a finite, non-zero normal.
    """
    if normals.shape[:2] != valid.shape:
        raise NormalMapError(f'{path}: normal map size {normals.shape[:2]} differs from its mask {valid.shape}')
    if image_shape is not None and tuple(normals.shape[:2]) != tuple(image_shape[:2]):
        raise NormalMapError(f'{path}: normal map size {normals.shape[:2]} differs from its image '
                             f'{tuple(image_shape[:2])}')
    inside = normals[valid]
    finite = np.isfinite(inside).all(axis=1)
    if not finite.all():
        raise NormalMapError(f'{path}: {int((~finite).sum())} valid pixels hold NaN or infinite normals')
    norms = np.linalg.norm(inside, axis=1)
    if (norms < MIN_VALID_NORM).any():
        raise NormalMapError(f'{path}: {int((norms < MIN_VALID_NORM).sum())} valid pixels hold zero (or '
                             f'near-zero, norm < {MIN_VALID_NORM}) normals')


def unit_normals(normals: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Renormalise valid pixels to unit length and zero the others (float32)."""
    out = np.zeros_like(normals, dtype=np.float32)
    inside = normals[valid].astype(np.float64)
    out[valid] = inside / np.linalg.norm(inside, axis=1, keepdims=True)
    return out
