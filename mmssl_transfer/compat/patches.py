"""Runtime patches to mmengine 0.10.7 for current torch, each a small function naming the upstream bug it works
around; :func:`apply` runs them all once.

``mmssl_transfer.models`` (which every config and every probe that builds a backbone loads),
``mmssl_transfer.apis`` (behind ``tools/train.py`` and ``tools/test.py``) and
:func:`mmssl_transfer.distributed.init_distributed` call :func:`apply`. The patches are narrow: they touch the
OpenMMLab code paths that break, and never the loading of third-party checkpoints, which goes through
:mod:`mmssl_transfer.checkpoints` only.
"""
from __future__ import annotations

import functools
import os
import pickle
from typing import Any, Callable

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
    globals()['GlooSyncBatchNorm'] = GlooSyncBatchNorm  # pickle finds it in this module
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
