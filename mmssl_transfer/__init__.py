"""mmssl-transfer: how well does a self-supervised ResNet-50 transfer? An OpenMMLab extension."""
from . import compat

__version__ = '0.1.0'

compat.apply()
