"""mmcv-lite: a torchvision-backed stand-in for mmcv's compiled ``mmcv._ext``.

With ``mmcv-lite`` (mmcv without its compiled ``mmcv._ext``, the default install) the stand-in serves the ops
this project needs from torchvision's prebuilt CPU/CUDA kernels (NMS, RoIAlign) or plain torch (sigmoid focal
loss), with mmcv's semantics (each difference from torchvision's kernels is reproduced and named below); every
other op raises a clear error when called. :func:`install_lite_ops` arms it at ``import mmssl_transfer`` (an import
hook, no torch import), so it precedes any ``mmcv.ops`` import. Under compiled mmcv the real extension is used.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import struct
import sys
import types
from typing import Any, Callable, Sequence

#: Where to go for an op the stand-in does not serve.
FULL_OPS_HINT = 'bash tools/install.sh --mmcv-ops'


class LiteOpsUnavailable(NotImplementedError):
    """An mmcv op that only mmcv's compiled extension provides was called under mmcv-lite."""


def _unavailable(name: str, why: str = 'is not served by the mmcv-lite stand-in') -> Callable[..., Any]:
    def op(*args: Any, **kwargs: Any) -> Any:
        raise LiteOpsUnavailable(f'mmcv op `{name}` {why}; it needs mmcv built with its ops: {FULL_OPS_HINT}')
    op.__name__ = name
    return op


def _lite_nms(bboxes: Any, scores: Any, iou_threshold: float, offset: int = 0) -> Any:
    """mmcv ``nms``: indices kept, by decreasing score, with mmcv's tie and threshold rules.

    torchvision's kernel differs from mmcv's in two corner cases, both reproduced here: boxes of equal score are
    visited in the order of mmcv's own (unstable) ``scores.sort(0, descending=True)``, not torchvision's stable
    sort; and mmcv's CPU kernel compares the float IoU with the threshold rounded to float32 (``ovr > (float)t``),
    torchvision with the double (``ovr > t``), which differ when float32 rounds t up (0.3, 0.6, ...). mmcv's
    CUDA kernel tests ``inter > t * union``, which no threshold reproduces bit for bit; it differs from the
    division only for an IoU within rounding of t. mmcv's ``offset=1`` (legacy +1 pixel areas and overlaps)
    equals offset 0 on boxes whose x2, y2 grow by 1.
    """
    import torch
    import torchvision
    if bboxes.numel() == 0:
        return bboxes.new_zeros(0, dtype=torch.long)
    order = scores.sort(0, descending=True)[1]
    boxes = bboxes[order].float()
    if offset:
        boxes = boxes + boxes.new_tensor([0.0, 0.0, offset, offset])
    threshold = float(iou_threshold)
    if not boxes.is_cuda:
        threshold = struct.unpack('f', struct.pack('f', threshold))[0]  # mmcv's CPU kernel takes a float
    rank = torch.arange(len(order), 0, -1, dtype=torch.float32, device=boxes.device)  # keeps mmcv's order
    return order[torchvision.ops.nms(boxes, rank, threshold)]


def _lite_roi_align_forward(input: Any, rois: Any, output: Any, argmax_y: Any, argmax_x: Any, *,
                            aligned_height: int, aligned_width: int, spatial_scale: float, sampling_ratio: int,
                            pool_mode: int, aligned: bool) -> None:
    """mmcv ``roi_align_forward`` (writes ``output``); torchvision's kernel is mmcv's avg mode, bit for bit."""
    import torchvision
    if pool_mode != 1:
        raise LiteOpsUnavailable(f'mmcv op `roi_align` with pool_mode="max" is not served by the mmcv-lite '
                                 f'stand-in (torchvision has avg only); it needs mmcv built with its ops: '
                                 f'{FULL_OPS_HINT}')
    if rois.numel() == 0:
        return
    output.copy_(torchvision.ops.roi_align(input, rois.to(input.dtype), (aligned_height, aligned_width),
                                           spatial_scale=float(spatial_scale), sampling_ratio=int(sampling_ratio),
                                           aligned=bool(aligned)))


def _lite_roi_align_backward(grad_output: Any, rois: Any, argmax_y: Any, argmax_x: Any, grad_input: Any, *,
                             aligned_height: int, aligned_width: int, spatial_scale: float, sampling_ratio: int,
                             pool_mode: int, aligned: bool) -> None:
    """mmcv ``roi_align_backward`` (writes ``grad_input``) through torchvision's registered backward kernel."""
    import torch
    import torchvision  # noqa: F401  (registers torch.ops.torchvision)
    if pool_mode != 1:
        raise LiteOpsUnavailable(f'mmcv op `roi_align` with pool_mode="max" needs mmcv built with its ops: '
                                 f'{FULL_OPS_HINT}')
    if rois.numel() == 0:
        return
    batch, channels, height, width = grad_input.shape
    grad_input.copy_(torch.ops.torchvision._roi_align_backward(
        grad_output, rois.to(grad_output.dtype), float(spatial_scale), int(aligned_height), int(aligned_width),
        batch, channels, height, width, int(sampling_ratio), bool(aligned)))


def _focal_terms(input: Any, target: Any, weight: Any, alpha: float) -> tuple[Any, Any, Any, Any]:
    """Probabilities, positive mask and per-element class weights as mmcv's focal-loss kernels use them."""
    import torch
    p = torch.sigmoid(input)
    positive = torch.zeros_like(input, dtype=torch.bool)
    positive[torch.arange(input.size(0), device=input.device), target.clamp(max=input.size(1) - 1)] = True
    positive &= (target < input.size(1)).unsqueeze(1)  # target == num_classes is background
    scale = torch.where(positive, torch.full_like(input, alpha), torch.full_like(input, 1 - alpha))
    if weight.numel():
        scale = scale * weight[target.clamp(max=weight.numel() - 1)].unsqueeze(1)
    return p, positive, scale, torch.finfo(torch.float32).tiny


def _lite_sigmoid_focal_loss_forward(input: Any, target: Any, weight: Any, output: Any, *, gamma: float,
                                     alpha: float) -> None:
    """mmcv ``sigmoid_focal_loss_forward``: -alpha (1-p)^g log p for the target class, -(1-alpha) p^g log(1-p)
    for the others (log arguments clamped at FLT_MIN as the kernel does)."""
    p, positive, scale, tiny = _focal_terms(input, target, weight, alpha)
    term_p = (1 - p).pow(gamma) * p.clamp(min=tiny).log()
    term_n = p.pow(gamma) * (1 - p).clamp(min=tiny).log()
    output.copy_(-scale * term_p.where(positive, term_n))


def _lite_sigmoid_focal_loss_backward(input: Any, target: Any, weight: Any, grad_input: Any, *, gamma: float,
                                      alpha: float) -> None:
    """mmcv ``sigmoid_focal_loss_backward``: the kernel's closed-form derivative of the forward above."""
    p, positive, scale, tiny = _focal_terms(input, target, weight, alpha)
    term_p = (1 - p).pow(gamma) * (1 - p - gamma * p * p.clamp(min=tiny).log())
    term_n = p.pow(gamma) * (gamma * (1 - p) * (1 - p).clamp(min=tiny).log() - p)
    grad_input.copy_(-scale * term_p.where(positive, term_n))


class LiteOpsExtension(types.ModuleType):
    """The module registered as ``mmcv._ext`` under mmcv-lite.

    mmcv's ``ext_loader.load_ext`` only checks that each name exists when ``mmcv.ops`` is imported; names the
    stand-in does not serve resolve to a function that raises :class:`LiteOpsUnavailable` when *called*, so a
    model that never uses them imports and runs, and one that does fails loudly, never with a wrong result.
    """

    is_mmssl_lite_stand_in = True

    def __init__(self) -> None:
        super().__init__('mmcv._ext', 'torchvision-backed stand-in for mmcv\'s compiled ops (mmssl_transfer.compat)')
        self.nms = _lite_nms
        self.roi_align_forward = _lite_roi_align_forward
        self.roi_align_backward = _lite_roi_align_backward
        self.sigmoid_focal_loss_forward = _lite_sigmoid_focal_loss_forward
        self.sigmoid_focal_loss_backward = _lite_sigmoid_focal_loss_backward

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__'):
            raise AttributeError(name)
        return _unavailable(name)


class _LiteOpsFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves ``mmcv._ext`` when, and only when, mmcv's own compiled extension is absent."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None, target: Any = None) -> Any:
        if fullname != 'mmcv._ext':
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is not None:  # full mmcv: never shadow the compiled ops
            return real
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: Any) -> types.ModuleType:
        return LiteOpsExtension()

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def install_lite_ops() -> None:
    """Arm the ``mmcv._ext`` stand-in (idempotent, imports nothing heavy).

    Under compiled mmcv the finder defers to the real extension. ``mmcv.ops`` imported *before* this call would
    already have failed with mmcv's own ``No module named 'mmcv._ext'``; :mod:`mmssl_transfer` calls it at
    import, and every tool, config (``custom_imports``) and suite subprocess imports the package first.
    """
    if not any(isinstance(finder, _LiteOpsFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _LiteOpsFinder())


def mmcv_ops_flavour() -> str:
    """``'compiled'`` (mmcv with its ops), ``'lite'`` (mmcv-lite + this stand-in) or ``'missing'``."""
    install_lite_ops()
    try:
        import mmcv._ext as ext  # noqa: F401
    except ImportError:
        return 'missing'
    return 'lite' if getattr(ext, 'is_mmssl_lite_stand_in', False) else 'compiled'
