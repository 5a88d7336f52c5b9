"""``SSLViT``: a Vision Transformer that loads any ViT release of the zoo strictly, built as its zoo row says.

It is mmpretrain's ``VisionTransformer`` (pre-norm blocks, ``F.scaled_dot_product_attention``, LayerNorm eps 1e-6,
qkv bias, a final norm) configured from the row's :class:`~mmssl_transfer.checkpoints.vit_layout.ViTArch`: width,
depth, heads (MoCo v3's ViT-S has 12, which no tensor shape shows), patch, position-embedding grid and LayerScale.
On top it adds what mmpretrain lacks for these releases: DINOv2's register tokens (no position embedding, between
CLS and patches), the authors' own position-embedding resize (DINO's ``scale_factor=(n + 0.1) / grid`` rule, the
size-based rule of MAE/MoCo v3 and of DINOv2 with registers, with its antialiasing), the final norm on every
returned block, frozen blocks kept in eval mode, and the feature definitions of :data:`VIT_FEATURES`. The
checkpoint is converted by :mod:`mmssl_transfer.checkpoints` and loaded with ``strict=True``
(:class:`.StrictCheckpointMixin`).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmpretrain.models.backbones import VisionTransformer
from torch import nn

from mmssl_transfer.checkpoints import (NORMALIZATIONS, BackboneIdentity, Conversion, ConversionReport, get_method,
                                        identify, requested_method)
from mmssl_transfer.checkpoints.vit_layout import ViTArch
from mmssl_transfer.checkpoints.zoo import MethodSpec, ambiguous_candidates

from .strict_loading import StrictCheckpointMixin

#: What :class:`SSLViT` returns for ``out_type`` (every token through the final norm, as the authors' eval code):
VIT_FEATURES = {
    'cls_patch_mean': 'final-norm CLS concatenated with the mean of the final-norm patch tokens (2D; the '
                      "benchmark-wide feature: DINO's ViT-B linear eval, DINOv2)",
    'cls': 'final-norm CLS token (D; MoCo v3, MAE before its BatchNorm)',
    'patch_mean': 'mean of the final-norm patch tokens (D)',
    'last4_cls': "CLS of the last ``last_n`` blocks, each through the final norm, concatenated (nD; DINO/iBOT's "
                 'ViT-S linear eval with n=4)',
    'last4_cls_patch_mean': "``last4_cls`` followed by the mean of the last block's final-norm patch tokens "
                            "((n + 1)D; DINOv2's linear eval and its released linear heads, hub ``*_lc`` with "
                            'the default layers=4: eval/linear.py ``create_linear_input`` with avgpool)',
    'featmap': 'final-norm patch tokens of each block in ``out_indices`` as (B, D, h, w) maps (dense heads)',
}
#: What :class:`SSLViT` does with an input side that is not a multiple of the patch (``patch_fit``):
PATCH_FITS = {
    'floor': "the patch convolution drops the last partial patch (mmpretrain's and the authors' classifiers)",
    'resize': 'the input is resized (bilinear) to the nearest multiple of the patch, at least one patch, so the '
              'token grid covers the whole image (the dense tasks: 512 -> 518 for patch 14, no-op for 16)',
    'pad': 'the input is zero-padded on the right and bottom to a multiple of the patch, so every pixel is covered '
           'and pixel coordinates and strides stay exact (detection)',
}


class SSLViT(StrictCheckpointMixin, VisionTransformer):
    """ViT backbone initialised from a self-supervised ViT release.

    Args:
        checkpoint (str | Path | BackboneIdentity, optional): A file of any ViT layout of the zoo (the official
            release file), or a zoo name, downloaded on first use, or its resolved identity
            (:func:`~mmssl_transfer.checkpoints.identify`; the probes pass theirs so a run converts the file once).
            ``None`` keeps a random initialisation. Defaults to None.
        method (str): Zoo row (``'dino_vits16'``, ``'mocov3_vits'``...), or ``'auto'`` to detect it from the
            checkpoint (read once here, because the row decides the architecture). Defaults to 'auto'.
        out_type (str): One of :data:`VIT_FEATURES`. Defaults to 'cls_patch_mean'.
        out_indices (Sequence[int] | int): Blocks (0-based, negative from the end) whose maps ``'featmap'``
            returns. Defaults to -1.
        last_n (int): Blocks whose CLS ``'last4_cls'`` and ``'last4_cls_patch_mean'`` concatenate. Defaults to 4.
        patch_fit (str): One of :data:`PATCH_FITS`. Defaults to 'floor'.
        frozen_stages (int): -1 nothing frozen; ``k >= 0`` freezes the patch and position embedding, CLS and
            register tokens and blocks 1..k (all blocks: the final norm too), kept in eval mode. Defaults to -1.
        embed_dims, num_layers, num_heads, patch_size (int, optional): Only to assert the architecture: a value
            that differs from the zoo row's is an error naming both. Defaults to None (the row's).
        toy (bool): Let width and depth follow the checkpoint (or ``embed_dims``/``num_layers`` without one), for
            tiny test and toy files; heads, patch, grid, LayerScale and registers stay the row's. Defaults to False.
        drop_path_rate (float): Stochastic depth of the blocks. Defaults to 0.
        init_cfg (dict, optional): Only used without a checkpoint.
        **kwargs: Passed to mmpretrain's ``VisionTransformer`` (e.g. ``drop_rate``).
    """

    OUT_TYPES = set(VIT_FEATURES) | {'raw'}  # 'raw' only for mmpretrain's __init__
    architecture = 'vit'

    def __init__(self,
                 checkpoint: Optional[str | Path | BackboneIdentity] = None,
                 method: str = 'auto',
                 out_type: str = 'cls_patch_mean',
                 out_indices: Sequence[int] | int = -1,
                 last_n: int = 4,
                 patch_fit: str = 'floor',
                 frozen_stages: int = -1,
                 embed_dims: Optional[int] = None,
                 num_layers: Optional[int] = None,
                 num_heads: Optional[int] = None,
                 patch_size: Optional[int] = None,
                 toy: bool = False,
                 drop_path_rate: float = 0.,
                 init_cfg: Any = None,
                 **kwargs: Any) -> None:
        if out_type not in VIT_FEATURES:
            raise ValueError(f'SSLViT out_type must be one of {sorted(VIT_FEATURES)}, got {out_type!r}')
        if patch_fit not in PATCH_FITS:
            raise ValueError(f'SSLViT patch_fit must be one of {sorted(PATCH_FITS)}, got {patch_fit!r}')
        self._identity = checkpoint if isinstance(checkpoint, BackboneIdentity) else None
        if self._identity is not None:
            self.checkpoint = None if self._identity.is_scratch else str(self._identity.path)
            method = self._identity.requested if method == 'auto' else method
        else:
            self.checkpoint = None if checkpoint is None else str(checkpoint)
            method = requested_method(checkpoint, method)  # a zoo name as checkpoint says which row it is
        conversion = None
        if method == 'auto':
            if self.checkpoint is None:
                raise ValueError('SSLViT needs method= (a zoo ViT row) or a checkpoint: the row gives the '
                                 'architecture')
            conversion = self._resolved('auto').conversion
            self.check_architecture(conversion.report)  # a ResNet-50 file: use SSLResNet
            method = conversion.report.method
            if ambiguous_candidates(method):
                raise ValueError(f'SSLViT: {checkpoint} could be any of {", ".join(ambiguous_candidates(method))}, '
                                 'which differ in architecture; pass method=')
        spec = get_method(method)
        if spec.vit is None:
            raise ValueError(f'SSLViT: {spec.name} is a ResNet-50 row of the zoo (use SSLResNet)')
        if conversion is None and self.checkpoint is not None and toy:
            conversion = self._resolved(spec.name).conversion
        asserted = dict(embed_dims=embed_dims, num_layers=num_layers, num_heads=num_heads, patch_size=patch_size)
        arch = self._architecture(spec, conversion, toy, asserted)
        super().__init__(
            arch=dict(embed_dims=arch.embed_dims, num_layers=arch.num_layers, num_heads=arch.num_heads,
                      feedforward_channels=arch.feedforward_channels),
            img_size=arch.native_size, patch_size=arch.patch_size, out_indices=list(
                [out_indices] if isinstance(out_indices, int) else out_indices),
            drop_path_rate=drop_path_rate, qkv_bias=True, norm_cfg=dict(type='LN', eps=1e-6), final_norm=True,
            out_type='raw', with_cls_token=True, frozen_stages=-1, interpolate_mode='bicubic',
            layer_scale_init_value=1.0 if arch.layer_scale else 0., patch_cfg=dict(padding=0),
            init_cfg=init_cfg, **kwargs)
        self.out_type, self.patch_fit = out_type, patch_fit
        self.method, self.spec, self.vit_arch, self.toy = spec.name, spec, arch, toy
        if out_type in ('last4_cls', 'last4_cls_patch_mean') and not 1 <= last_n <= arch.num_layers:
            raise ValueError(f'last_n must be in 1..{arch.num_layers}, got {last_n}')
        self.last_n = last_n
        self.num_register_tokens = arch.num_register_tokens
        self.register_tokens = (nn.Parameter(torch.zeros(1, arch.num_register_tokens, arch.embed_dims))
                                if arch.num_register_tokens else None)
        self.frozen_stages = frozen_stages
        if not -1 <= frozen_stages <= arch.num_layers:
            raise ValueError(f'frozen_stages must be in -1..{arch.num_layers}, got {frozen_stages}')
        if frozen_stages >= 0:
            self._freeze_stages()
        self._conversion: Optional[Conversion] = conversion
        self._conversion_report: Optional[ConversionReport] = None
        #: The patch grid of the last forward pass and whether the position embedding was resized for it.
        self.token_grid: tuple[int, int] = tuple(self.patch_resolution)
        self.pos_embed_resized = False

    @staticmethod
    def _architecture(spec: MethodSpec, conversion: Optional[Conversion], toy: bool,
                      asserted: dict[str, Optional[int]]) -> ViTArch:
        """The row's architecture (width and depth from the file or the arguments when ``toy``); asserted
        values that differ from it are an error naming both."""
        arch = spec.vit
        if toy:
            found = conversion.report.architecture if conversion is not None else {}
            width = found.get('embed_dims') or asserted['embed_dims'] or arch.embed_dims
            depth = found.get('num_layers') or asserted['num_layers'] or arch.num_layers
            arch = replace(arch, embed_dims=width, num_layers=depth)
        wrong = [f'{k}={v} but the zoo row {spec.name} ({spec.paper_name}) has {k}={getattr(arch, k)}'
                 for k, v in asserted.items() if v is not None and v != getattr(arch, k)]
        if wrong:
            raise ValueError('SSLViT: ' + '; '.join(wrong))
        return arch

    # ---------------------------------------------------------------- weights
    def _resolved(self, method: str) -> BackboneIdentity:
        """The checkpoint's identity (resolved once; the one given as ``checkpoint`` when it was one)."""
        if self._identity is None:
            self._identity = identify(self.checkpoint, method)
        return self._identity

    # ---------------------------------------------------------------- StrictCheckpointMixin's hooks
    def checkpoint_identity(self) -> BackboneIdentity:
        """The checkpoint resolved as this row (the identity given as ``checkpoint`` when it was one)."""
        return self._resolved(self.method)

    def init_random_extras(self) -> None:
        """The register tokens, which mmpretrain's ViT does not have."""
        if self.register_tokens is not None:
            nn.init.trunc_normal_(self.register_tokens, std=0.02)

    def check_conversion(self, conversion: Conversion) -> None:
        """The architecture the file has must be the one built."""
        self._conversion, self._identity = None, None  # loaded now (or refused): not kept twice in memory
        found = conversion.report.architecture
        built = (('embed_dims', self.vit_arch.embed_dims), ('num_layers', self.vit_arch.num_layers))
        wrong = [f'{k} {found.get(k)} in the file vs {v} built' for k, v in built if found.get(k) != v]
        if wrong:
            raise ValueError(f'{self.checkpoint}: the checkpoint is not the {self.method} ViT built here '
                             f'({", ".join(wrong)}); tiny test files need toy=True')

    def after_load(self, report: ConversionReport) -> None:
        """Log the load."""
        MMLogger.get_current_instance().info(
            f'SSLViT: loaded {report.method} ({self.spec.paper_name}, {self.vit_arch.num_heads} heads) from '
            f'{self.checkpoint} strictly ({len(report.kept)} tensors, {report.num_params:,} parameters, dropped '
            f'{len(report.dropped)} keys, sha256 {(report.sha256 or "")[:12]})')

    # ---------------------------------------------------------------- freezing
    def _freeze_stages(self) -> None:
        """Freeze the embeddings (and registers) and blocks 1..frozen_stages; all blocks: the final norm too."""
        frozen: list[nn.Module | nn.Parameter] = [self.patch_embed, self.cls_token, self.pos_embed,
                                                  *self.layers[:self.frozen_stages]]
        if getattr(self, 'register_tokens', None) is not None:
            frozen.append(self.register_tokens)
        if self.frozen_stages == self.num_layers:
            frozen.append(self.ln1)
        for item in frozen:
            for param in ([item] if isinstance(item, nn.Parameter) else item.parameters()):
                param.requires_grad = False
        self._frozen_modules = [m for m in frozen if isinstance(m, nn.Module)]
        for module in self._frozen_modules:
            module.eval()

    def train(self, mode: bool = True) -> 'SSLViT':
        """Keep frozen blocks (their dropout and drop-path) in eval mode."""
        super().train(mode)
        if mode and self.frozen_stages >= 0:
            for module in self._frozen_modules:
                module.eval()
        return self

    # ---------------------------------------------------------------- forward
    def interpolated_pos_embed(self, grid: tuple[int, int], image_hw: tuple[int, int]) -> torch.Tensor:
        """The position embedding for a ``grid`` of patches, resized as the row's authors do it.

        Unchanged at the stored grid of a square image (DINO/DINOv2 test ``w == h`` too); otherwise the patch part
        is resized bicubically in float32, by ``scale_factor=(n + offset) / stored`` when the row has an offset
        (DINO, DINOv2), else to ``grid`` (MAE, MoCo v3, DINOv2 with registers, antialiased as its row says).
        """
        stored = self.vit_arch.pos_grid
        if tuple(grid) == (stored, stored) and image_hw[0] == image_hw[1]:
            return self.pos_embed
        pos = self.pos_embed.float()
        dim = pos.shape[-1]
        patch = pos[:, 1:].reshape(1, stored, stored, dim).permute(0, 3, 1, 2)
        offset = self.vit_arch.interpolate_offset
        resize = (dict(scale_factor=((grid[0] + offset) / stored, (grid[1] + offset) / stored)) if offset
                  else dict(size=tuple(grid)))
        patch = F.interpolate(patch, mode='bicubic', antialias=self.vit_arch.interpolate_antialias, **resize)
        if tuple(patch.shape[-2:]) != tuple(grid):
            raise RuntimeError(f'position embedding resized to {tuple(patch.shape[-2:])}, expected {tuple(grid)}')
        patch = patch.permute(0, 2, 3, 1).reshape(1, -1, dim)
        return torch.cat((pos[:, :1], patch), dim=1).to(self.pos_embed.dtype)

    def fit_to_patch(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` with sides that are multiples of the patch as ``patch_fit`` says (:data:`PATCH_FITS`; 'floor'
        leaves it as it is)."""
        patch = self.vit_arch.patch_size
        if self.patch_fit == 'pad':
            pad_h, pad_w = (-x.shape[-2]) % patch, (-x.shape[-1]) % patch
            return F.pad(x, (0, pad_w, 0, pad_h)) if pad_h or pad_w else x
        size = tuple(max(patch, round(side / patch) * patch) for side in x.shape[-2:])
        if self.patch_fit != 'resize' or size == tuple(x.shape[-2:]):
            return x
        return F.interpolate(x, size=size, mode='bilinear', align_corners=False)

    def tokens(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
        """Input tokens ``[CLS, registers, patches]`` with position embeddings, and the patch grid."""
        x = self.fit_to_patch(x)
        image_hw = (x.shape[-2], x.shape[-1])
        x, grid = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = x + self.interpolated_pos_embed(grid, image_hw)
        if self.register_tokens is not None:  # after the position embedding: registers get none (DINOv2)
            x = torch.cat((x[:, :1], self.register_tokens.expand(x.shape[0], -1, -1), x[:, 1:]), dim=1)
        self.token_grid = tuple(grid)
        self.pos_embed_resized = tuple(grid) != tuple(self.patch_resolution)
        return self.drop_after_pos(x), tuple(grid)

    def _wanted_blocks(self) -> set[int]:
        last = self.num_layers - 1
        if self.out_type == 'featmap':
            return set(self.out_indices)
        if self.out_type in ('last4_cls', 'last4_cls_patch_mean'):
            return set(range(self.num_layers - self.last_n, self.num_layers))
        return {last}

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Features of ``out_type`` (see :data:`VIT_FEATURES`), as a tuple like every OpenMMLab backbone."""
        x, grid = self.tokens(x)
        wanted = self._wanted_blocks()
        normed: dict[int, torch.Tensor] = {}
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i in wanted:
                normed[i] = self.ln1(x)
            if len(normed) == len(wanted):
                break  # later blocks do not change the requested outputs
        start = 1 + self.num_register_tokens
        last = normed.get(self.num_layers - 1)
        if self.out_type == 'cls':
            return (last[:, 0],)
        if self.out_type == 'patch_mean':
            return (last[:, start:].mean(dim=1),)
        if self.out_type == 'cls_patch_mean':
            return (torch.cat((last[:, 0], last[:, start:].mean(dim=1)), dim=-1),)
        if self.out_type == 'last4_cls':
            return (torch.cat([normed[i][:, 0] for i in sorted(normed)], dim=-1),)
        if self.out_type == 'last4_cls_patch_mean':
            return (torch.cat([normed[i][:, 0] for i in sorted(normed)] + [last[:, start:].mean(dim=1)], dim=-1),)
        b = x.shape[0]
        return tuple(normed[i][:, start:].reshape(b, *grid, -1).permute(0, 3, 1, 2).contiguous()
                     for i in self.out_indices)

    def get_layer_depth(self, param_name: str, prefix: str = '') -> tuple[int, int]:
        """mmpretrain's depth for layer-wise lr decay; the register tokens sit with the embeddings (depth 0)."""
        if param_name == prefix + 'register_tokens':
            return 0, self.num_layers + 2
        return super().get_layer_depth(param_name, prefix)

    # ---------------------------------------------------------------- input normalisation
    @property
    def input_normalization(self) -> dict[str, list[float]]:
        """The row's input normalisation in 0-255 pixel units (ImageNet mean/std for every ViT release)."""
        mean, std = NORMALIZATIONS[self.spec.normalization]
        return dict(mean=list(mean), std=list(std))

    @property
    def feature_dim(self) -> int:
        """Width of the vector ``out_type`` outputs (the channels of each map for ``'featmap'``)."""
        d = self.vit_arch.embed_dims
        return {'cls_patch_mean': 2 * d, 'last4_cls': self.last_n * d,
                'last4_cls_patch_mean': (self.last_n + 1) * d}.get(self.out_type, d)
