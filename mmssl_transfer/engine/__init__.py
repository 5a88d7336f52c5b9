"""Runner-side extensions (hooks) for the OpenMMLab runs."""
from .hooks import BackboneProvenanceHook

__all__ = ['BackboneProvenanceHook']
