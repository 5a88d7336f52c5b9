"""Plain-ViT detection pieces after ViTDet (Li, Mao, Girshick, He: "Exploring Plain Vision Transformer Backbones
for Object Detection", ECCV 2022), written for this project (nothing is taken from mmdet's ``projects/ViTDet``).

- :class:`LN2d`: LayerNorm over the channels of a (B, C, H, W) map (ViTDet's norm in the neck and box head).
- :class:`SimpleFPN`: the single-scale ViT map turned into a pyramid: two stride-2 deconvolutions (with LN2d and
  GELU between them) to 1/4 of the patch stride, one to 1/2, the map itself at 1, a 2x2 max-pool to 2; each level
  then a 1x1 and a 3x3 conv with LN2d. The extra level for the RPN is ViTDet's ``LastLevelMaxPool`` (a stride-2,
  kernel-1 max-pool of the coarsest level), not FPN's extra convs. At patch 16 the strides are 4, 8, 16, 32, 64;
  at DINOv2's patch 14 they are 3.5, 7, 14, 28, 56 (the configs set anchors and RoI strides to these).
- :class:`RelPosWindowAttention`: a block's attention over the patch grid, in windows or global, with decomposed
  relative positions (MViTv2's, as ViTDet uses them) added to the attention logits; it reuses the block's own
  ``qkv``/``proj`` (and LayerScale) modules, so their weights still come from the checkpoint; the relative position
  tables are new and zero-initialised (the block computes what it was pretrained to compute until they learn).
- :class:`SSLViTDet`: :class:`~mmssl_transfer.models.backbones.SSLViT` with these as an option. Without windows it
  is the wrapper unchanged (global attention, CLS and registers kept, no relative positions: the frozen protocol);
  with ``window_size`` it runs ViTDet's recipe on the patch tokens only (ViTDet drops the CLS token; DINOv2's
  registers are dropped too, both then frozen as unused), windowed blocks except ``global_blocks``.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from torch import nn

from mmssl_transfer.checkpoints import Conversion
from mmssl_transfer.models.backbones.ssl_vit import SSLViT

#: The pyramid of ViTDet's SimpleFeaturePyramid: each level's scale relative to the ViT's patch grid.
SIMPLE_FPN_SCALES = (4.0, 2.0, 1.0, 0.5)


def vitdet_global_blocks(num_layers: int) -> tuple[int, ...]:
    """ViTDet's global-attention blocks: the last block of each quarter of the depth (2, 5, 8, 11 of 12;
    5, 11, 17, 23 of 24); every block of a ViT shallower than four."""
    return tuple(sorted({max(0, num_layers * (i + 1) // 4 - 1) for i in range(4)} | (
        set(range(num_layers)) if num_layers < 4 else set())))


class LN2d(nn.LayerNorm):
    """LayerNorm over the channel dimension of a (B, C, H, W) map (ViTDet's ``LayerNorm`` for conv features)."""

    def __init__(self, num_channels: int, eps: float = 1e-6, **kwargs: Any) -> None:
        super().__init__(num_channels, eps=eps, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def _conv_ln(in_channels: int, out_channels: int, kernel_size: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False),
                         LN2d(out_channels))


class SimpleFPN(BaseModule):
    """ViTDet's simple feature pyramid from one ViT map (module docstring).

    Args:
        in_channels (int): Width of the ViT map (a one-element sequence, as mmdet passes necks, is accepted).
        out_channels (int): Channels of every level. Defaults to 256.
        scale_factors (Sequence[float]): Levels relative to the patch grid, from 4, 2, 1, 0.5. Defaults to
            :data:`SIMPLE_FPN_SCALES`.
        num_outs (int): Levels returned; those beyond ``scale_factors`` are stride-2 max-pools of the last
            (ViTDet's ``LastLevelMaxPool``). Defaults to 5.
        init_cfg (dict | list, optional): Defaults to ViTDet's ``c2_msra_fill`` of the convs (Kaiming normal,
            fan-out, bias none).
    """

    def __init__(self,
                 in_channels: int | Sequence[int],
                 out_channels: int = 256,
                 scale_factors: Sequence[float] = SIMPLE_FPN_SCALES,
                 num_outs: int = 5,
                 init_cfg: Any = dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu',
                                      distribution='normal')) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, int):
            (in_channels,) = in_channels
        unknown = [s for s in scale_factors if s not in SIMPLE_FPN_SCALES]
        if unknown:
            raise ValueError(f'SimpleFPN: scale factors must be among {SIMPLE_FPN_SCALES}, got {unknown}')
        if num_outs < len(scale_factors):
            raise ValueError(f'SimpleFPN: num_outs {num_outs} < {len(scale_factors)} scale factors')
        self.scale_factors, self.num_outs = tuple(scale_factors), num_outs
        self.stages = nn.ModuleList()
        for scale in scale_factors:
            resample, width = self._resample(scale, in_channels)
            self.stages.append(nn.Sequential(*resample, _conv_ln(width, out_channels, 1),
                                             _conv_ln(out_channels, out_channels, 3)))

    @staticmethod
    def _resample(scale: float, dim: int) -> tuple[list[nn.Module], int]:
        """The layers that bring the patch grid to ``scale`` and the width they leave."""
        if scale == 4.0:
            return [nn.ConvTranspose2d(dim, dim // 2, 2, stride=2), LN2d(dim // 2), nn.GELU(),
                    nn.ConvTranspose2d(dim // 2, dim // 4, 2, stride=2)], dim // 4
        if scale == 2.0:
            return [nn.ConvTranspose2d(dim, dim // 2, 2, stride=2)], dim // 2
        if scale == 1.0:
            return [], dim
        return [nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=True)], dim

    def strides(self, patch_size: int) -> tuple[float, ...]:
        """The stride of every returned level for a ViT of ``patch_size`` (the anchor/RoI strides of a config)."""
        levels = [patch_size / s for s in self.scale_factors]
        return tuple(levels + [levels[-1] * 2 ** (i + 1) for i in range(self.num_outs - len(levels))])

    def forward(self, inputs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        """The pyramid of the last map of ``inputs`` (the backbone's tuple)."""
        x = inputs[-1]
        outs = [stage(x) for stage in self.stages]
        while len(outs) < self.num_outs:
            outs.append(F.max_pool2d(outs[-1], kernel_size=1, stride=2))
        return tuple(outs)


def relative_positions(q_size: int, k_size: int, table: torch.Tensor) -> torch.Tensor:
    """(q_size, k_size, C) embeddings of every query-key offset along one axis (MViTv2's decomposed relative
    positions): ``table`` (2 * size - 1 rows) is resized linearly when made for another extent, and coordinates are
    scaled when queries and keys differ in extent."""
    length = 2 * max(q_size, k_size) - 1
    if table.shape[0] != length:
        table = F.interpolate(table.t().unsqueeze(0), size=length, mode='linear').squeeze(0).t()
    q = torch.arange(q_size, device=table.device)[:, None] * max(k_size / q_size, 1.0)
    k = torch.arange(k_size, device=table.device)[None, :] * max(q_size / k_size, 1.0)
    offsets = (q - k) + (k_size - 1) * max(q_size / k_size, 1.0)
    return table[offsets.long()]


def window_partition(x: torch.Tensor, window: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """(B * windows, window, window, C) non-overlapping windows of a (B, H, W, C) grid zero-padded to a multiple of
    ``window``, and the padded size."""
    b, h, w, c = x.shape
    pad_h, pad_w = (-h) % window, (-w) % window
    if pad_h or pad_w:
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    hp, wp = h + pad_h, w + pad_w
    x = x.view(b, hp // window, window, wp // window, window, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, window, window, c), (hp, wp)


def window_merge(windows: torch.Tensor, window: int, padded: tuple[int, int], size: tuple[int, int]) -> torch.Tensor:
    """Inverse of :func:`window_partition`: the (B, H, W, C) grid of ``size`` without the padding."""
    hp, wp = padded
    c = windows.shape[-1]
    b = windows.shape[0] // (hp // window * (wp // window))
    x = windows.view(b, hp // window, wp // window, window, window, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, hp, wp, c)[:, :size[0], :size[1]].contiguous()


class RelPosWindowAttention(nn.Module):
    """A ViT block's attention over a (B, H, W, C) patch grid, windowed or global, with decomposed relative
    positions (module docstring). Takes over the block's ``qkv``, ``proj``, dropouts and LayerScale, so the
    checkpoint's keys are unchanged; ``rel_pos_h``/``rel_pos_w`` are the only new parameters (zeros).

    Args:
        attn (nn.Module): The block's mmpretrain ``MultiheadAttention``.
        window_size (int): Side of the attention windows; 0 attends over the whole grid.
        rel_pos_size (int): Extent the relative position tables are made for (the window, or the grid of the
            largest training image for a global block); other extents resize them. 0: no relative positions.
    """

    def __init__(self, attn: nn.Module, window_size: int, rel_pos_size: int) -> None:
        super().__init__()
        self.num_heads, self.head_dims = attn.num_heads, attn.head_dims
        self.embed_dims = attn.embed_dims
        self.qkv, self.proj, self.proj_drop, self.out_drop, self.gamma1 = (
            attn.qkv, attn.proj, attn.proj_drop, attn.out_drop, attn.gamma1)
        self.attn_drop = attn.attn_drop
        self.window_size = window_size
        self.rel_pos_size = rel_pos_size
        if rel_pos_size:
            self.rel_pos_h = nn.Parameter(torch.zeros(2 * rel_pos_size - 1, self.head_dims))
            self.rel_pos_w = nn.Parameter(torch.zeros(2 * rel_pos_size - 1, self.head_dims))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) -> (B, H, W, C)."""
        size = x.shape[1:3]
        if self.window_size:
            x, padded = window_partition(x, self.window_size)
        x = self.proj(self._attend(x))
        if self.window_size:
            x = window_merge(x, self.window_size, padded, size)
        return self.out_drop(self.gamma1(self.proj_drop(x)))

    def _attend(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, _ = x.shape
        qkv = self.qkv(x).reshape(b, h * w, 3, self.num_heads, self.head_dims).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        bias = self._rel_pos_bias(q, h, w) if self.rel_pos_size else None
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias,
                                             dropout_p=self.attn_drop if self.training else 0.)
        return out.transpose(1, 2).reshape(b, h, w, self.embed_dims)

    def _rel_pos_bias(self, q: torch.Tensor, h: int, w: int) -> torch.Tensor:
        """The (B, heads, HW, HW) logits of the decomposed relative positions (from the unscaled queries)."""
        b = q.shape[0]
        rh = relative_positions(h, h, self.rel_pos_h).to(q.dtype)
        rw = relative_positions(w, w, self.rel_pos_w).to(q.dtype)
        rq = q.reshape(b, self.num_heads, h, w, self.head_dims)
        bias_h = torch.einsum('bnhwc,hkc->bnhwk', rq, rh)
        bias_w = torch.einsum('bnhwc,wkc->bnhwk', rq, rw)
        return (bias_h[..., :, None] + bias_w[..., None, :]).reshape(b, self.num_heads, h * w, h * w)


class SSLViTDet(SSLViT):
    """:class:`SSLViT` for detection, with ViTDet's windowed attention as an option (module docstring).

    Args:
        window_size (int): 0 (default): the wrapper unchanged, global attention without relative positions (the
            frozen protocol). ``k > 0``: windows of k x k patches in every block but ``global_blocks``, on the patch
            tokens only, with zero-initialised relative positions (ViTDet's finetuning).
        global_blocks (Sequence[int], optional): Blocks attending globally when windowed. Defaults to
            :func:`vitdet_global_blocks` of the depth (2, 5, 8, 11 of 12).
        rel_pos_image_size (int): Longest side (pixels) of the training images: the global blocks' relative
            position tables are made for its patch grid (resized for other grids). Defaults to 1344.
        frozen_stages (int | str): As :class:`SSLViT`, or ``'all'``: every parameter of the ViT frozen.
        patch_fit (str): As :class:`SSLViT`. Defaults to 'pad' (exact strides for the anchors and RoIs).
        **kwargs: :class:`SSLViT`'s (``checkpoint``, ``method``, ``out_indices``, ``drop_path_rate``...);
            ``out_type`` is ``'featmap'``.
    """

    def __init__(self,
                 window_size: int = 0,
                 global_blocks: Optional[Sequence[int]] = None,
                 rel_pos_image_size: int = 1344,
                 frozen_stages: int | str = -1,
                 out_type: str = 'featmap',
                 patch_fit: str = 'pad',
                 **kwargs: Any) -> None:
        if out_type != 'featmap':
            raise ValueError(f"SSLViTDet returns maps (out_type='featmap'), got {out_type!r}")
        super().__init__(out_type='featmap', frozen_stages=-1 if frozen_stages == 'all' else frozen_stages,
                         patch_fit=patch_fit, **kwargs)
        if frozen_stages == 'all':
            self.frozen_stages = self.num_layers
            self._freeze_stages()
        self.window_size = window_size
        self.global_blocks = tuple(vitdet_global_blocks(self.num_layers) if global_blocks is None
                                   else sorted(global_blocks))
        if window_size:
            if self.frozen_stages >= 0:
                raise ValueError('SSLViTDet: windowed attention (ViTDet finetuning) with frozen blocks; the frozen '
                                 'protocol keeps the pretrained global attention (window_size=0)')
            bad = [i for i in self.global_blocks if not 0 <= i < self.num_layers]
            if bad:
                raise ValueError(f'SSLViTDet: global_blocks {bad} outside 0..{self.num_layers - 1}')
            grid = math.ceil(rel_pos_image_size / self.vit_arch.patch_size)
            for i, layer in enumerate(self.layers):
                layer.attn = RelPosWindowAttention(layer.attn, 0 if i in self.global_blocks else window_size,
                                                   grid if i in self.global_blocks else window_size)
            # ViTDet attends over the patches only: the CLS token and registers are unused, so not trained
            for token in (self.cls_token, self.register_tokens):
                if token is not None:
                    token.requires_grad = False

    @property
    def non_file_parameters(self) -> list[str]:
        """Names of the parameters no checkpoint holds: the zero-initialised relative position tables."""
        return [name for name, _ in self.named_parameters() if name.rsplit('.', 1)[-1] in ('rel_pos_h', 'rel_pos_w')]

    def load_conversion(self, conversion: Conversion) -> None:
        """Load the checkpoint strictly for every key of the file and of the pretrained ViT; the relative position
        tables (:attr:`non_file_parameters`) keep their zeros and are logged as the only tensors not loaded."""
        own = self.state_dict()
        added = {name: own[name] for name in self.non_file_parameters}
        clash = sorted(set(added) & set(conversion.state_dict))
        if clash:
            raise ValueError(f'{self.checkpoint}: the file already has {clash}')
        super().load_conversion(replace(conversion, state_dict={**conversion.state_dict, **added}))
        if added:
            MMLogger.get_current_instance().info(
                f'SSLViTDet: {len(added)} relative position tables not in the file, zero-initialised: '
                f'{", ".join(sorted(added))}')

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(B, D, h, w) maps of ``out_indices`` (through the final norm); the input is zero-padded on the right
        and bottom to a multiple of the patch (``patch_fit='pad'``), so every pixel is covered and the strides
        stay exact."""
        if not self.window_size:
            return super().forward(x)
        tokens, (h, w) = self.tokens(x)
        x = tokens[:, 1 + self.num_register_tokens:].reshape(tokens.shape[0], h, w, -1)
        wanted, outs = set(self.out_indices), {}
        for i, layer in enumerate(self.layers):
            x = layer(x)  # pre-norm block on (B, h, w, C): norms, MLP and drop-path act on the last dimension
            if i in wanted:
                outs[i] = self.ln1(x).permute(0, 3, 1, 2).contiguous()
            if len(outs) == len(wanted):
                break
        return tuple(outs[i] for i in self.out_indices)
