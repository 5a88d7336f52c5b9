"""mmseg pipeline transforms: surface-normal loading/flip/resize/packing, depth resizing, annotation checks, the
paper's test resize."""
from .checks import CheckSegMapSize
from .depth import DepthResize
from .normals import LoadNormalAnnotation, NormalRandomFlip, NormalResize, PackNormalInputs
from .resize import ShortSideResizeToMultiple

__all__ = ['CheckSegMapSize', 'DepthResize', 'LoadNormalAnnotation', 'NormalRandomFlip', 'NormalResize',
           'PackNormalInputs', 'ShortSideResizeToMultiple']
