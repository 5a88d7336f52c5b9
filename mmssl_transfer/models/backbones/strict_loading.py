"""``StrictCheckpointMixin``: how SSLResNet and SSLViT load a checkpoint, in one place.

Both backbones convert their checkpoint through :mod:`mmssl_transfer.checkpoints`, load it with ``strict=True`` in
``init_weights`` (mmengine's ``Pretrained`` init would load non-strictly), keep the conversion report on the model
and refuse a file of the other architecture with the backbone to use instead. What differs stays in each class:
how the checkpoint is resolved (:meth:`~StrictCheckpointMixin.checkpoint_identity`), the width check before the
load (:meth:`~StrictCheckpointMixin.check_conversion`) and what is done and logged after it
(:meth:`~StrictCheckpointMixin.after_load`).
"""
from __future__ import annotations

from typing import Optional

from mmssl_transfer.checkpoints import BackboneIdentity, CheckpointError, Conversion, ConversionReport
from mmssl_transfer.checkpoints.zoo import ARCHITECTURE_NAMES

#: A zoo row's architecture -> the backbone that loads it.
BACKBONES = {'resnet50': 'SSLResNet', 'vit': 'SSLViT'}


def checkpoint_architecture(report: ConversionReport) -> str:
    """``'vit'`` for a converted ViT row (its report records the architecture), else ``'resnet50'``."""
    return 'vit' if report.architecture else 'resnet50'


class StrictCheckpointMixin:
    """Strict checkpoint loading for a backbone; put it before the OpenMMLab backbone class in the bases.

    The class sets :attr:`architecture`; an instance has ``checkpoint`` (a path or zoo name, ``None`` for a random
    initialisation) and ``_conversion_report`` set in its ``__init__``.
    """

    #: ``'resnet50'`` or ``'vit'``: the zoo rows this backbone loads.
    architecture: str = ''
    #: A conversion made before the weights are loaded (SSLViT's ``method='auto'`` reads the file to build itself).
    _conversion: Optional[Conversion] = None

    # ---------------------------------------------------------------- what each backbone says
    def checkpoint_identity(self) -> BackboneIdentity:
        """The resolved checkpoint (:func:`~mmssl_transfer.checkpoints.identify`)."""
        raise NotImplementedError

    def check_conversion(self, conversion: Conversion) -> None:
        """Refuse a conversion whose width (or depth) is not the one built; nothing by default."""

    def after_load(self, report: ConversionReport) -> None:
        """What follows a strict load (log it; SSLResNet applies padding as trained); nothing by default."""

    def init_random_extras(self) -> None:
        """Initialise what the OpenMMLab class's random init does not know of; nothing by default."""

    # ---------------------------------------------------------------- shared
    def check_architecture(self, report: ConversionReport) -> None:
        """A ResNet-50 file given to SSLViT, or a ViT file to SSLResNet, is an error naming the row and the
        backbone to use."""
        found = checkpoint_architecture(report)
        if found != self.architecture:
            raise CheckpointError(f'{self.checkpoint}: this is a {ARCHITECTURE_NAMES[found]} checkpoint (row '
                                  f'{report.method}): use {BACKBONES[found]}, not {type(self).__name__}')

    def convert_checkpoint(self) -> Conversion:
        """Resolve (download if a zoo name), detect and convert the checkpoint; raises CheckpointError."""
        if self.checkpoint is None:
            raise ValueError(f'{type(self).__name__} has no checkpoint (random initialisation)')
        conversion = self.checkpoint_identity().conversion
        self.check_architecture(conversion.report)
        return conversion

    @property
    def conversion_report(self) -> Optional[ConversionReport]:
        """What was loaded: method, kept/dropped keys, sha256 ... (None for a random initialisation).

        Computed on first access when the weights were not loaded through :meth:`init_weights` (for example
        when a Runner restores a whole-model checkpoint for testing).
        """
        if self._conversion_report is None and self.checkpoint is not None:
            self._conversion_report = self.convert_checkpoint().report
        return self._conversion_report

    def init_weights(self) -> None:
        """Random init without a checkpoint; otherwise load the converted checkpoint strictly."""
        if self.checkpoint is None:
            super().init_weights()
            self.init_random_extras()
            return
        self.load_conversion(self._conversion if self._conversion is not None else self.convert_checkpoint())

    def load_conversion(self, conversion: Conversion) -> None:
        """Load an already converted checkpoint strictly (what :meth:`init_weights` does after converting).

        The probes convert once per run (:class:`~mmssl_transfer.checkpoints.BackboneIdentity`) and hand the
        conversion to every backbone they build.
        """
        self.check_architecture(conversion.report)
        self.check_conversion(conversion)
        # strict=True: every backbone tensor must come from the checkpoint, nothing may be left over
        self.load_state_dict(conversion.state_dict, strict=True)
        self._conversion_report = conversion.report
        self._is_init = True
        self.after_load(conversion.report)
