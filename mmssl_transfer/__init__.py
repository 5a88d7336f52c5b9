"""mmssl-transfer: how well does a self-supervised ResNet-50 transfer? An OpenMMLab extension.

The package root stays light (checkpoint conversion and result files need no OpenMMLab import); the
compatibility patches of :mod:`mmssl_transfer.compat` are applied by the modules that use mmengine's Runner:
``mmssl_transfer.models`` (which every config loads through ``custom_imports``) and ``mmssl_transfer.apis``.
"""
__version__ = '0.1.0'
