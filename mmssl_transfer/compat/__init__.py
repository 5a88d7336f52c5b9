"""The one place that adapts the 2023 OpenMMLab packages to current torch / numpy / Python, one module per job:

- :mod:`.patches`: runtime patches to mmengine (Runner checkpoints under ``weights_only``, CPU/gloo DDP with a
  gloo SyncBatchNorm); :func:`apply` runs them all once.
- :mod:`.lite_ops`: the stand-in for mmcv's compiled ``mmcv._ext`` under mmcv-lite (NMS, RoIAlign, sigmoid focal
  loss), armed by :func:`install_lite_ops` at ``import mmssl_transfer``.
- :mod:`.known_warnings`: filters for upstream warnings that say nothing about the user's run.

Every fix names the upstream problem it works around.
"""
from .known_warnings import KNOWN_WARNINGS, silence_known_warnings
from .lite_ops import FULL_OPS_HINT, LiteOpsExtension, LiteOpsUnavailable, install_lite_ops, mmcv_ops_flavour
from .patches import (_APPLIED, PATCHES, apply, convert_sync_batchnorm_for_cpu, gloo_sync_batchnorm_class,
                      patch_mmengine_checkpoint_loading, patch_mmengine_cpu_distributed, runner_checkpoint_safe_globals)

__all__ = [
    'KNOWN_WARNINGS', 'silence_known_warnings', 'FULL_OPS_HINT', 'LiteOpsExtension', 'LiteOpsUnavailable',
    'install_lite_ops', 'mmcv_ops_flavour', '_APPLIED', 'PATCHES', 'apply', 'convert_sync_batchnorm_for_cpu',
    'gloo_sync_batchnorm_class', 'patch_mmengine_checkpoint_loading', 'patch_mmengine_cpu_distributed',
    'runner_checkpoint_safe_globals',
]
