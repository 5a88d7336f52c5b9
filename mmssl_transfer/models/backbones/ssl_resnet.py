"""``SSLResNet``: a ResNet-50 that loads any known self-supervised checkpoint strictly.

It is mmpretrain's ``ResNet`` (plain 7x7 stem, style 'pytorch', torchvision key names: ``conv1``, ``bn1``,
``layer1.0.conv1`` ... ``downsample.0/1``) whose ``init_weights`` converts the checkpoint through
:mod:`mmssl_transfer.checkpoints` and loads it with ``strict=True`` (:class:`.StrictCheckpointMixin`). The same
class is registered in the MODELS registries of mmdet, mmseg and mmpretrain (see
:mod:`mmssl_transfer.models.registration`), so one backbone serves detection, segmentation, surface normals and
classification configs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

from mmengine.logging import MMLogger
from mmpretrain.models.backbones import ResNet
from torch import nn

from mmssl_transfer.checkpoints import (NORMALIZATIONS, BackboneIdentity, CheckpointError, Conversion, ConversionReport,
                                        ambiguous_candidates, get_method, identify, requested_method)
from mmssl_transfer.models.layers import SAME_PADDED_LAYERS, use_tf_same_padding

from .strict_loading import StrictCheckpointMixin


class SSLResNet(StrictCheckpointMixin, ResNet):
    """ResNet-50 backbone initialised from a self-supervised checkpoint.

    Args:
        checkpoint: A checkpoint file in any format of the model zoo (the original
            release file, or a converted ``.pth``/``.safetensors``), or a zoo method name (``'byol'``), which
            is downloaded to the cache on first use. ``None`` keeps a random initialisation (the from-scratch
            baseline). Defaults to None.
        method: Zoo method of the checkpoint, or ``'auto'`` to detect it from the file's layout (a zoo name
            given as ``checkpoint`` is that method). A layout that only a file name could tell apart is recorded
            as ``'ambiguous: a, b'`` in the conversion report (and so in results). Defaults to 'auto'.
        base_channels: Width of the first stage (64 for a real ResNet-50; tests use narrower toy
            checkpoints with the same keys). The stem has the same width. Defaults to 64.
        frozen_stages: Stages whose parameters are frozen and kept in eval mode: -1 none, 0 the stem,
            ``i`` the stem and stages 1..i. Defaults to -1.
        norm_eval: Keep every BatchNorm in eval mode (running statistics frozen) during training.
            Defaults to False.
        norm_cfg: Norm layer config; only BN and SyncBN keep the torchvision key names. SyncBN is reverted
            to BN by the Runner when training is not distributed on CUDA. Defaults to
            ``dict(type='BN', requires_grad=True)``.
        out_indices: Stages whose outputs are returned. Defaults to (0, 1, 2, 3).
        strides: Stride of each stage. Defaults to (1, 2, 2, 2).
        dilations: Dilation of each stage; ``strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4)``
            gives output stride 8. Defaults to (1, 1, 1, 1).
        contract_dilation: The first block of every stage with dilation ``d > 1`` uses ``d // 2`` in its
            3x3 conv (padding likewise), as mmseg's ``ResNet(contract_dilation=True)`` and the ``_nostride_dilate``
            of CSAIL's segmentation toolkit, which the transfer paper's NYUv2 normals code uses: that conv had the
            stage's stride 2, and replacing the stride keeps half the dilation. Defaults to False.
        tf_same_padding: Which strided layers pad as TensorFlow's 'SAME' does (asymmetric on even inputs):
            ``'none'``, ``'maxpool'`` (the stem max-pool only, as google-research/simclr), ``'all'`` (every
            strided conv and the max-pool, as Haiku/BYOL), or ``'as_trained'``: the zoo row's setting of the
            checkpoint's method (``MethodSpec.tf_same_padding``; for ``method='auto'`` applied once the checkpoint
            is detected, in ``init_weights``). The paper used PyTorch's symmetric padding for every method, so the
            default is 'none'; the other settings shift features by one pixel at each affected stride-2 layer.
            Defaults to 'none'.
        init_cfg: Only used without a checkpoint. Defaults to mmpretrain's ResNet init.
        **kwargs: Passed to mmpretrain's ``ResNet`` (e.g. ``with_cp``). ``depth``, ``deep_stem``,
            ``avg_down``, ``style`` and ``stem_channels`` are fixed by the checkpoint format.

    Examples:
        >>> import torch
        >>> from mmssl_transfer.models import SSLResNet
        >>> net = SSLResNet(base_channels=8).eval()  # a toy width; a real ResNet-50 has 64
        >>> [tuple(out.shape) for out in net(torch.rand(1, 3, 64, 64))]
        [(1, 32, 16, 16), (1, 64, 8, 8), (1, 128, 4, 4), (1, 256, 2, 2)]
        >>> SSLResNet(method='simclr-v1').input_normalization  # SimCLR expects [0, 1] input
        {'mean': [0.0, 0.0, 0.0], 'std': [255.0, 255.0, 255.0]}
    """

    FIXED_ARCH = dict(depth=50, deep_stem=False, avg_down=False, style='pytorch')
    architecture = 'resnet50'

    def __init__(self,
                 checkpoint: Optional[str | Path] = None,
                 method: str = 'auto',
                 base_channels: int = 64,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 strides: Sequence[int] = (1, 2, 2, 2),
                 dilations: Sequence[int] = (1, 1, 1, 1),
                 tf_same_padding: str = 'none',
                 contract_dilation: bool = False,
                 init_cfg: Any = None,
                 **kwargs: Any) -> None:
        fixed = {k: kwargs.pop(k) for k in list(kwargs) if k in (*self.FIXED_ARCH, 'stem_channels')}
        wrong = {k: v for k, v in fixed.items()
                 if k != 'stem_channels' and v != self.FIXED_ARCH[k] or k == 'stem_channels' and v != base_channels}
        if wrong:
            raise ValueError(f'SSLResNet is a torchvision-layout ResNet-50; these arguments cannot change: {wrong}')
        if norm_cfg.get('type') not in ('BN', 'SyncBN', 'BN2d'):
            raise ValueError(f'SSLResNet norm_cfg must be BN or SyncBN (checkpoint keys are bn1, bn2, ...), '
                             f'got {norm_cfg}')
        if not -1 <= frozen_stages <= 4:
            raise ValueError(f'frozen_stages must be in -1..4, got {frozen_stages}')
        if tf_same_padding not in (*SAME_PADDED_LAYERS, 'as_trained'):
            raise ValueError(f"tf_same_padding must be one of {[*SAME_PADDED_LAYERS, 'as_trained']}, "
                             f'got {tf_same_padding!r}')
        method = requested_method(checkpoint, method)  # a zoo name as checkpoint says which method it is
        if tf_same_padding == 'as_trained' and method == 'auto' and checkpoint is None:
            raise ValueError("tf_same_padding='as_trained' needs a method: pass method= or a checkpoint")
        init_kwargs = {} if init_cfg is None else {'init_cfg': init_cfg}
        # read by make_res_layer, which mmpretrain's ResNet.__init__ calls
        self.contract_dilation = bool(contract_dilation)
        super().__init__(
            **self.FIXED_ARCH,
            stem_channels=base_channels,
            base_channels=base_channels,
            frozen_stages=frozen_stages,
            norm_eval=norm_eval,
            norm_cfg=norm_cfg,
            out_indices=tuple(out_indices),
            strides=tuple(strides),
            dilations=tuple(dilations),
            **init_kwargs,
            **kwargs)
        self.checkpoint = None if checkpoint is None else str(checkpoint)
        self.tf_same_padding = tf_same_padding
        self.method = method
        if tf_same_padding != 'as_trained':
            use_tf_same_padding(self, tf_same_padding)
        elif method != 'auto':
            use_tf_same_padding(self, get_method(method).tf_same_padding)
        self._conversion_report: Optional[ConversionReport] = None

    def make_res_layer(self, **kwargs: Any) -> nn.Sequential:
        """mmpretrain's stage, whose first block takes half the dilation when ``contract_dilation`` is set."""
        layer = super().make_res_layer(**kwargs)
        dilation = kwargs.get('dilation', 1)
        if self.contract_dilation and dilation > 1:
            rate = kwargs.get('drop_path_rate', 0.0)
            first = super().make_res_layer(**{**kwargs, 'num_blocks': 1, 'dilation': dilation // 2,
                                              'drop_path_rate': rate[:1] if isinstance(rate, (list, tuple)) else rate})
            layer[0] = first[0]
        return layer

    # ---------------------------------------------------------------- weights (StrictCheckpointMixin's hooks)
    def checkpoint_identity(self) -> BackboneIdentity:
        """The checkpoint resolved as the method asked for."""
        return identify(self.checkpoint, self.method)

    def check_conversion(self, conversion: Conversion) -> None:
        """The file's base width must be the one built. (BN step counters missing from TF/JAX formats are filled
        by the converter and listed in ``report.filled``, so the strict load still sees every tensor.)"""
        report = conversion.report
        if report.base_channels != self.base_channels:
            raise CheckpointError(f'{self.checkpoint}: checkpoint width base_channels={report.base_channels} but '
                                  f'the backbone was built with base_channels={self.base_channels}; set '
                                  f'model.backbone.base_channels={report.base_channels} (probes: --base-channels '
                                  f'{report.base_channels})')

    def after_load(self, report: ConversionReport) -> None:
        """Apply the padding as trained of a detected method; log the load."""
        if self.tf_same_padding == 'as_trained' and self.method == 'auto':
            use_tf_same_padding(self, self._padding_as_trained(report))
        logger = MMLogger.get_current_instance()
        if ambiguous_candidates(report.method):
            logger.warning(f'SSLResNet: {self.checkpoint} is in a layout that only a file name tells apart; results '
                           f'are recorded under method {report.method!r} (pass method= to name it)')
        logger.info(
            f'SSLResNet: loaded {report.method} from {self.checkpoint} strictly '
            f'({len(report.kept)} tensors, {report.num_params:,} parameters, dropped {len(report.dropped)} '
            f'head keys, sha256 {report.sha256[:12]})')

    def _padding_as_trained(self, report: ConversionReport) -> str:
        """The zoo padding setting of the detected method (every candidate's, when ambiguous)."""
        settings = {get_method(m).tf_same_padding for m in (report.candidates if ambiguous_candidates(report.method)
                                                            else (report.method,))}
        if len(settings) != 1:
            raise ValueError(f"{self.checkpoint}: tf_same_padding='as_trained' but the detected method "
                             f'{report.method!r} does not say which padding; pass method=')
        return settings.pop()

    def train(self, mode: bool = True) -> 'SSLResNet':
        """Keep frozen stages (and all BN with ``norm_eval``) in eval mode; return self like ``nn.Module``."""
        super().train(mode)  # mmpretrain's ResNet.train returns None
        return self

    # ---------------------------------------------------------------- input normalisation
    @property
    def input_normalization(self) -> dict[str, list[float]]:
        """The method's expected input normalisation in 0-255 pixel units (``mean``, ``std``).

        ImageNet mean/std for every method except SimCLR, which expects [0, 1] input (mean 0, std 255).
        """
        if self.method != 'auto':
            normalization = get_method(self.method).normalization
        else:  # detected: a zoo method or 'ambiguous: a, b', whose candidates share their normalisation
            report = self.conversion_report
            normalization = report.normalization if report is not None else 'imagenet'
        mean, std = NORMALIZATIONS[normalization]
        return dict(mean=list(mean), std=list(std))
