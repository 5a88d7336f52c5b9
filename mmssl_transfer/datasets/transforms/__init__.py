"""mmseg pipeline transforms: one train scale per batch, surface-normal loading/flip/resize/packing, depth resizing,
annotation checks, the paper's test resize."""
from .batch_scale import BatchRandomChoiceResize
from .checks import CheckSegMapSize
from .depth import DepthResize
from .normals import LoadNormalAnnotation, NormalRandomFlip, NormalResize, PackNormalInputs
from .resize import ShortSideResizeToMultiple

__all__ = ['BatchRandomChoiceResize', 'CheckSegMapSize', 'DepthResize', 'LoadNormalAnnotation', 'NormalRandomFlip',
           'NormalResize',
           'PackNormalInputs', 'ShortSideResizeToMultiple']
