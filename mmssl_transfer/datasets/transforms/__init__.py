"""mmseg pipeline transforms: one train scale per batch, surface-normal loading/flip/resize/packing, annotation
checks, the paper's test resize."""
from .batch_scale import BatchRandomChoiceResize
from .checks import CheckSegMapSize
from .normals import LoadNormalAnnotation, NormalRandomFlip, NormalResize, PackNormalInputs
from .resize import ShortSideResizeToMultiple

__all__ = ['BatchRandomChoiceResize', 'CheckSegMapSize', 'LoadNormalAnnotation', 'NormalRandomFlip', 'NormalResize',
           'PackNormalInputs', 'ShortSideResizeToMultiple']
