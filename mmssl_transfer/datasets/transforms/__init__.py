"""mmseg pipeline transforms: surface-normal loading/flip/resize/packing and annotation checks."""
from .checks import CheckSegMapSize
from .normals import LoadNormalAnnotation, NormalRandomFlip, NormalResize, PackNormalInputs

__all__ = ['CheckSegMapSize', 'LoadNormalAnnotation', 'NormalRandomFlip', 'NormalResize', 'PackNormalInputs']
