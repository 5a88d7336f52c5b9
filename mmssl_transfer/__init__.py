"""mmssl-transfer: how well does a self-supervised ResNet-50 transfer? An OpenMMLab extension.

The package root stays light (checkpoint conversion and result files need no OpenMMLab import). Importing it
arms the mmcv-lite ops stand-in (:func:`mmssl_transfer.compat.install_lite_ops`, an import hook that imports
nothing), so that any later ``import mmcv.ops`` works without mmcv's compiled extension, and silences the
upstream warnings listed in :data:`mmssl_transfer.compat.KNOWN_WARNINGS`. The runtime patches
of :mod:`mmssl_transfer.compat` are applied by the modules that use mmengine's Runner: ``mmssl_transfer.models``
(which every config loads through ``custom_imports``) and ``mmssl_transfer.apis``.
"""
from .compat import install_lite_ops, silence_known_warnings

__version__ = '0.1.0'

install_lite_ops()
silence_known_warnings()
