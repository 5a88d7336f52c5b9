"""Runner-side extensions: hooks, the layer-wise lr decay optimizer constructor of the ViT tasks, and the split
of a protocol's total batch over the processes of a run."""
from .batch_split import BATCH_SPLIT_KEY, BatchSplit, BatchSplitError, apply_total_batch, split_total_batch
from .hooks import BackboneProvenanceHook, BatchSplitHook, UpdateStepParamSchedulerHook
from .layer_decay import ViTLayerDecayOptimWrapperConstructor

__all__ = ['BackboneProvenanceHook', 'BatchSplitHook', 'UpdateStepParamSchedulerHook', 'BATCH_SPLIT_KEY',
           'ViTLayerDecayOptimWrapperConstructor', 'BatchSplit', 'BatchSplitError', 'apply_total_batch',
           'split_total_batch']
