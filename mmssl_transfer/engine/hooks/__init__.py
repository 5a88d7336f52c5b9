"""mmengine hooks shared by the det/seg/normals runs (registered in mmengine's root HOOKS registry)."""
from .backbone_provenance_hook import PROVENANCE_KEY, TRAIN_VARIANT_KEY, BackboneProvenanceHook, backbone_provenance

__all__ = ['BackboneProvenanceHook', 'backbone_provenance', 'PROVENANCE_KEY', 'TRAIN_VARIANT_KEY']
