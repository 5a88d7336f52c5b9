"""Runner-side extensions: hooks, and the split of a protocol's total batch over the processes of a run."""
from .batch_split import BATCH_SPLIT_KEY, BatchSplit, BatchSplitError, apply_total_batch, split_total_batch
from .hooks import BackboneProvenanceHook, BatchSplitHook, UpdateStepParamSchedulerHook

__all__ = ['BackboneProvenanceHook', 'BatchSplitHook', 'UpdateStepParamSchedulerHook', 'BATCH_SPLIT_KEY',
           'BatchSplit', 'BatchSplitError', 'apply_total_batch', 'split_total_batch']
