"""The one place that adapts the 2023 OpenMMLab packages to current torch / numpy / Python.

Two kinds of fix live here, each naming the upstream problem it works around:

- :func:`install_lite_ops`: with ``mmcv-lite`` (mmcv without its compiled ``mmcv._ext``, the default install)
  a stand-in ``mmcv._ext`` serves the ops this project needs from torchvision's prebuilt CPU/CUDA kernels
  (NMS, RoIAlign) or plain torch (sigmoid focal loss); every other op raises a clear error when called. It is
  armed by ``import mmssl_transfer`` (an import hook, no torch import) so it precedes any ``mmcv.ops`` import.
- Runtime patches, each a small function; :func:`apply` runs them all once. ``mmssl_transfer.models`` (which
  every config and every probe that builds a backbone loads) and ``mmssl_transfer.apis`` (behind
  ``tools/train.py`` and ``tools/test.py``) call it.

- :func:`silence_known_warnings`: warnings the 2023 packages raise on every run that say nothing about the
  user's run; also applied by ``import mmssl_transfer``.

Patches are narrow: they touch the OpenMMLab code paths that break, and never the loading of third-party
checkpoints, which goes through :mod:`mmssl_transfer.checkpoints` only.
"""
from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import importlib.util
import os
import pickle
import struct
import sys
import types
import warnings
from typing import Any, Callable, Sequence

_APPLIED: set[str] = set()


def _once(func: Callable[[], None]) -> Callable[[], None]:
    @functools.wraps(func)
    def wrapper() -> None:
        if func.__name__ not in _APPLIED:
            func()
            _APPLIED.add(func.__name__)
    return wrapper


def runner_checkpoint_safe_globals() -> list[Any]:
    """Types that mmengine writes into its own Runner checkpoints besides tensors.

    torch>=2.6 loads with ``weights_only=True`` by default and refuses them; instead of turning the safe loader
    off we allow exactly these (numpy arrays/scalars/dtypes in the message hub, mmengine's HistoryBuffer).
    """
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer
    allowed: list[Any] = [HistoryBuffer, np.ndarray, np.dtype, np.generic,
                          (_history_buffer_method, 'builtins.getattr')]
    allowed += [np.core.multiarray._reconstruct, np.core.multiarray.scalar]  # type: ignore[attr-defined]
    allowed += [type(np.dtype(t)) for t in ('f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4',
                                            'u8', 'b1', 'c8', 'c16', 'O', 'U', 'S', 'V')]
    allowed += [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8,
                np.bool_, np.str_]
    return allowed


def _history_buffer_method(obj: Any, name: str) -> Any:
    """Stand-in for ``getattr`` when unpickling Runner checkpoints.

    A HistoryBuffer pickles its ``statistics_methods`` as ``getattr(HistoryBuffer, 'mean')``; allowing the real
    ``getattr`` would hand an attacker attribute access to anything, so only these bound methods resolve.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if (obj is HistoryBuffer or isinstance(obj, HistoryBuffer)) and name in HistoryBuffer._statistics_methods:
        return getattr(obj, name)
    raise pickle.UnpicklingError(f'refusing getattr({type(obj).__name__}, {name!r}) in a Runner checkpoint')


@_once
def patch_mmengine_checkpoint_loading() -> None:
    """mmengine 0.10.7 calls ``torch.load(filename, map_location=...)`` for Runner checkpoints.

    Since torch 2.6 (``weights_only=True`` by default) resume/load_from fails with "Weights only load failed"
    (open-mmlab/mmengine#1613, #1621). We keep ``weights_only=True`` and allow the few types mmengine itself
    pickles (:func:`runner_checkpoint_safe_globals`).
    """
    import torch
    from mmengine.logging.history_buffer import HistoryBuffer
    from mmengine.runner import checkpoint as ckpt

    # mmengine fills the class-level HistoryBuffer._statistics_methods (min/max/current/mean) only when a first
    # buffer is created; a fresh process that loads a checkpoint before that (tools/test.py) would find it empty
    # and _history_buffer_method would refuse the pickled getattr(HistoryBuffer, 'min').
    HistoryBuffer()
    safe = runner_checkpoint_safe_globals()

    def safe_load(filename: Any, map_location: Any = None) -> Any:
        with torch.serialization.safe_globals(safe):
            return torch.load(filename, map_location=map_location, weights_only=True)

    @ckpt.CheckpointLoader.register_scheme(prefixes='', force=True)
    def load_from_local(filename: str, map_location: Any = None) -> Any:
        filename = os.path.expanduser(filename)
        if not os.path.isfile(filename):
            raise FileNotFoundError(f'{filename} can not be found.')
        return safe_load(filename, map_location)

    ckpt.load_from_local = load_from_local


@_once
def patch_mmengine_cpu_distributed() -> None:
    """Let ``--launcher pytorch`` run N processes on a machine without CUDA (gloo backend).

    mmengine 0.10.7's ``_init_dist_pytorch`` calls ``torch.cuda.set_device`` unconditionally and configs default
    to ``backend='nccl'``; ``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]`` to DDP (GPU-only) and keeps
    SyncBN, whose torch implementation refuses CPU tensors. Without CUDA we init gloo, wrap with
    ``device_ids=None`` and turn every SyncBN into :func:`gloo_sync_batchnorm_class` (the same statistics over all
    processes, computed with gloo), so N CPU processes normalise as N GPUs do. Nothing changes with CUDA.
    """
    import torch
    import torch.distributed as torch_dist
    from mmengine.dist import utils as dist_utils
    from mmengine.model.wrappers import MMDistributedDataParallel
    from mmengine.runner import Runner

    original_init = dist_utils._init_dist_pytorch

    def init_dist_pytorch(backend: str, init_backend: str = 'torch', **kwargs: Any) -> None:
        if torch.cuda.is_available():
            return original_init(backend, init_backend=init_backend, **kwargs)
        torch_dist.init_process_group(backend='gloo', **kwargs)

    dist_utils._init_dist_pytorch = init_dist_pytorch

    original_ddp_init = MMDistributedDataParallel.__init__

    def ddp_init(self: Any, module: Any, detect_anomalous_params: bool = False, **kwargs: Any) -> None:
        if not torch.cuda.is_available():
            kwargs['device_ids'] = None
            kwargs.pop('output_device', None)
            module = convert_sync_batchnorm_for_cpu(module)
        original_ddp_init(self, module, detect_anomalous_params=detect_anomalous_params, **kwargs)

    MMDistributedDataParallel.__init__ = ddp_init

    original_setup_env = Runner.setup_env

    def setup_env(self: Any, env_cfg: dict) -> None:
        if not torch.cuda.is_available() and env_cfg.get('dist_cfg', {}).get('backend') == 'nccl':
            env_cfg = {**env_cfg, 'dist_cfg': {**env_cfg['dist_cfg'], 'backend': 'gloo'}}
        original_setup_env(self, env_cfg)

    Runner.setup_env = setup_env


@functools.lru_cache(maxsize=None)
def gloo_sync_batchnorm_class() -> type:
    """``torch.nn.SyncBatchNorm`` for CPU processes: batch statistics summed over the process group with gloo.

    torch's SyncBatchNorm runs on GPUs only (and DDP refuses it on CPU). This BatchNorm computes, in training,
    each channel's mean over all processes in two passes (sums and counts, then squared deviations from that
    mean: no E[x^2] - E[x]^2 cancellation), adding them up with the autograd-aware
    ``torch.distributed.nn.all_reduce`` (the backward pass sums the statistics' gradients over processes, as
    SyncBN's does), and normalises with the global mean and (biased) variance; running statistics take the
    unbiased global variance. Outside training, or in a single process, it is plain BatchNorm. It differs from
    BatchNorm over the whole batch only by float rounding.
    """
    import torch
    import torch.distributed as torch_dist
    from torch.distributed.nn.functional import all_reduce

    class GlooSyncBatchNorm(torch.nn.modules.batchnorm._BatchNorm):  # not a SyncBatchNorm: DDP refuses those on CPU
        process_group: Any = None

        def _check_input_dim(self, input: Any) -> None:
            if input.dim() < 2:
                raise ValueError(f'expected at least 2D input (got {input.dim()}D input)')

        def forward(self, input: Any) -> Any:
            batch_stats = self.training or not self.track_running_stats
            group = self.process_group or torch_dist.group.WORLD
            if not (batch_stats and torch_dist.is_initialized() and torch_dist.get_world_size(group) > 1):
                return torch.nn.modules.batchnorm._BatchNorm.forward(self, input)  # plain BatchNorm
            channels = input.shape[1]
            dims = [0] + list(range(2, input.dim()))
            shape = [1, channels] + [1] * (input.dim() - 2)
            count = input.new_full((1,), input.numel() // channels)
            sums = all_reduce(torch.cat([input.sum(dims), count]), group=group)  # pass 1: the global mean
            total = float(sums[-1])
            if total <= 1:
                raise ValueError(f'Expected more than 1 value per channel when training, got {int(total)} over '
                                 'all processes')
            mean = sums[:channels] / total
            centered = input - mean.view(shape)
            var = all_reduce((centered * centered).sum(dims), group=group) / total  # pass 2: around that mean
            if self.training and self.track_running_stats:
                self._update_running_stats(mean.detach(), var.detach(), total)
            out = centered * torch.rsqrt(var.view(shape) + self.eps)
            if self.affine:
                out = out * self.weight.view(shape) + self.bias.view(shape)
            return out

        @torch.no_grad()
        def _update_running_stats(self, mean: Any, var: Any, count: float) -> None:
            self.num_batches_tracked.add_(1)
            factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
            self.running_mean.mul_(1 - factor).add_(mean, alpha=factor)
            self.running_var.mul_(1 - factor).add_(var * (count / (count - 1)), alpha=factor)

    GlooSyncBatchNorm.__qualname__ = GlooSyncBatchNorm.__name__ = 'GlooSyncBatchNorm'
    globals()['GlooSyncBatchNorm'] = GlooSyncBatchNorm  # pickle finds it as mmssl_transfer.compat.GlooSyncBatchNorm
    return GlooSyncBatchNorm


def convert_sync_batchnorm_for_cpu(module: Any) -> Any:
    """Make every ``torch.nn.SyncBatchNorm`` of ``module`` a :func:`gloo_sync_batchnorm_class`, in place (same
    parameters, buffers and process group; the state-dict keys do not change); returns ``module``."""
    import torch
    gloo_class = gloo_sync_batchnorm_class()
    for child in module.modules():
        if isinstance(child, torch.nn.SyncBatchNorm):
            child.__class__ = gloo_class
    return module


PATCHES: tuple[Callable[[], None], ...] = (
    patch_mmengine_checkpoint_loading,
    patch_mmengine_cpu_distributed,
)


def apply() -> None:
    """Apply every patch once; a patch whose package is absent is skipped (the packages are optional)."""
    for patch in PATCHES:
        try:
            patch()
        except ImportError:
            continue


# ---------------------------------------------------------------------------------------------------------------
# Warning filters
# ---------------------------------------------------------------------------------------------------------------
#: (message regex, category, upstream): each filter silences one warning of an upstream package, nothing wider.
KNOWN_WARNINGS: tuple[tuple[str, type[Warning], str], ...] = (
    # mmengine 0.10.7 utils/package_utils.py imports (and reloads) pkg_resources in is_installed, which every
    # Runner and pkg:: config base calls; setuptools 81 warns on each import. Fixed upstream after 0.10.7:
    # open-mmlab/mmengine#1676 (importlib.metadata instead of pkg_resources).
    (r'pkg_resources is deprecated as an API', UserWarning, 'open-mmlab/mmengine#1676'),
)


def silence_known_warnings() -> None:
    """Ignore the :data:`KNOWN_WARNINGS` (idempotent; ``warnings.filterwarnings`` drops duplicates)."""
    for message, category, _upstream in KNOWN_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category)


# ---------------------------------------------------------------------------------------------------------------
# mmcv-lite: torchvision-backed stand-in for mmcv's compiled ``mmcv._ext``
# ---------------------------------------------------------------------------------------------------------------
#: Where to go for an op the stand-in does not serve.
FULL_OPS_HINT = 'bash tools/install.sh --mmcv-ops'

#: The ops :class:`LiteOpsExtension` serves, and from where (shown by tools/check_install.py).
LITE_OPS = {'nms': 'torchvision.ops.nms (in mmcv\'s order and threshold rule)',
            'roi_align_forward': 'torchvision.ops.roi_align (avg mode)',
            'roi_align_backward': 'torch.ops.torchvision._roi_align_backward',
            'sigmoid_focal_loss_forward': 'torch (the mmcv kernel formula)',
            'sigmoid_focal_loss_backward': 'torch (the mmcv kernel formula)'}


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
