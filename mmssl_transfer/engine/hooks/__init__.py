"""mmengine hooks shared by the det/seg/normals/cls runs (registered in mmengine's root HOOKS registry)."""
from .backbone_provenance_hook import PROVENANCE_KEY, TRAIN_VARIANT_KEY, BackboneProvenanceHook, backbone_provenance
from .batch_split_hook import BatchSplitHook, UpdateStepParamSchedulerHook

__all__ = ['BackboneProvenanceHook', 'backbone_provenance', 'PROVENANCE_KEY', 'TRAIN_VARIANT_KEY', 'BatchSplitHook',
           'UpdateStepParamSchedulerHook']
