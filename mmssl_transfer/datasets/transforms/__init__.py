"""mmseg pipeline transforms: surface-normal loading/flip/resize/packing, annotation checks, the paper's test resize."""
from .checks import CheckSegMapSize
from .normals import LoadNormalAnnotation, NormalRandomFlip, NormalResize, PackNormalInputs
from .resize import ShortSideResizeToMultiple

__all__ = ['CheckSegMapSize', 'LoadNormalAnnotation', 'NormalRandomFlip', 'NormalResize', 'PackNormalInputs',
           'ShortSideResizeToMultiple']
