"""Carry the backbone's provenance (zoo method, sha256 of the original checkpoint) through a training run.

The SSL backbone learns where its weights came from when it loads them (``SSLResNet.init_weights`` sets
``conversion_report``). A test run never calls ``init_weights`` - it loads the trained model instead - so this
hook writes the provenance into every saved checkpoint's ``meta['ssl_backbone']`` and publishes it, on
training start and on every checkpoint load, as the message-hub info ``'ssl_backbone'`` where the result
writer (:mod:`mmssl_transfer.apis`) reads it. It works for any mmdet/mmseg/mmpretrain model with a
``backbone`` attribute and does nothing for backbones without a report.

The protocol variant the model was trained with (the config's ``transfer_task.variant``) travels the same way,
as ``meta['transfer_variant']`` and the message-hub info ``'transfer_variant'``, so a model trained with a
variant is never reported as the paper's protocol by a test run that does not name the variant.
"""
from __future__ import annotations

from typing import Any

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

#: Key of the provenance in checkpoint ``meta`` and in the runner's message hub.
PROVENANCE_KEY = 'ssl_backbone'
#: Key of the training run's protocol variant in checkpoint ``meta`` and in the message hub.
TRAIN_VARIANT_KEY = 'transfer_variant'


def backbone_provenance(model: Any) -> dict[str, str] | None:
    """``{'method', 'sha256'}`` of a model's backbone conversion report, or None without one."""
    if is_model_wrapper(model):
        model = model.module
    report = getattr(getattr(model, 'backbone', None), 'conversion_report', None)
    if report is None:
        return None
    get = report.get if isinstance(report, dict) else lambda k, d=None: getattr(report, k, d)
    return {'method': str(get('method', 'custom')), 'sha256': str(get('sha256', ''))}


@HOOKS.register_module()
class BackboneProvenanceHook(Hook):
    """Save the backbone's provenance in checkpoints and publish it in the message hub."""

    priority = 'VERY_LOW'

    def before_train(self, runner) -> None:
        self._publish(runner, backbone_provenance(runner.model))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        provenance = backbone_provenance(runner.model) or runner.message_hub.get_info(PROVENANCE_KEY)
        if provenance:
            checkpoint.setdefault('meta', {})[PROVENANCE_KEY] = dict(provenance)
        variant = (runner.cfg.get('transfer_task') or {}).get('variant')
        if variant is not None:
            checkpoint.setdefault('meta', {})[TRAIN_VARIANT_KEY] = str(variant)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta') or {}
        self._publish(runner, meta.get(PROVENANCE_KEY))
        if meta.get(TRAIN_VARIANT_KEY) is not None:
            runner.message_hub.update_info(TRAIN_VARIANT_KEY, str(meta[TRAIN_VARIANT_KEY]))

    @staticmethod
    def _publish(runner, provenance: dict | None) -> None:
        if provenance:
            runner.message_hub.update_info(PROVENANCE_KEY, dict(provenance))
