"""The Vision Transformer layouts: the architecture of a zoo ViT row, its key names and shapes, computed analytically.

Every ViT release of the zoo (DINO, MoCo v3, MAE, iBOT, DINOv2) saves a pre-norm ViT in the names of timm's
``VisionTransformer`` (``cls_token``, ``pos_embed``, ``patch_embed.proj``, ``blocks.{i}.{norm1,attn.qkv,attn.proj,
norm2,mlp.fc1,mlp.fc2}``, ``norm``; DINOv2 adds ``blocks.{i}.ls{1,2}.gamma`` LayerScale and, with registers,
``register_tokens``). A converted checkpoint uses the names of mmpretrain's ``VisionTransformer`` (what
:class:`~mmssl_transfer.models.backbones.SSLViT` builds on) plus ``register_tokens``; :data:`TIMM_TO_MMPRETRAIN`
is the one table both directions are read from. Shapes follow from :class:`ViTArch` alone, so this module needs no
model class (tests compare it with the wrapper and with transcriptions of the authors' models).
"""
from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import asdict, dataclass

#: Where a ViT row's position embedding comes from (informational: both are stored in the file).
POS_EMBED_KINDS = ('learned', 'sincos')


@dataclass(frozen=True)
class ViTArch:
    """The architecture of a released ViT, as its authors' model code builds it.

    Attributes:
        embed_dims: Token width (384 for ViT-S, 768 for ViT-B).
        num_layers: Number of transformer blocks.
        num_heads: Attention heads per block. Not visible in any tensor shape (MoCo v3's ViT-S has 12, DINO's 6).
        patch_size: Patch (and stride) of the patch-embedding convolution.
        pos_grid: Side of the square patch grid the stored position embedding covers (14 for 224 px at patch 16,
            37 for DINOv2's 518 px at patch 14).
        layer_scale: Whether blocks scale their residual branches (DINOv2 ``ls1``/``ls2``).
        num_register_tokens: Extra learned tokens between CLS and patches that get no position embedding
            (DINOv2 ``_reg4``: 4).
        mlp_ratio: Hidden width of the MLP over ``embed_dims``.
        interpolate_offset: How the authors' code resizes the position embedding to another grid: ``0.1`` is
            DINO's rule (bicubic with ``scale_factor=(n + 0.1) / grid``, dino issue #8, kept by DINOv2), ``0``
            resizes to the target size (MAE's ``interpolate_pos_embed``, timm, DINOv2 with registers).
        interpolate_antialias: Whether that bicubic resize antialiases (DINOv2 with registers).
        pos_embed: ``'learned'`` or ``'sincos'`` (fixed 2-D sin-cos of MoCo v3 and MAE).
    """

    embed_dims: int
    num_layers: int
    num_heads: int
    patch_size: int
    pos_grid: int = 14
    layer_scale: bool = False
    num_register_tokens: int = 0
    mlp_ratio: int = 4
    interpolate_offset: float = 0.0
    interpolate_antialias: bool = False
    pos_embed: str = 'learned'

    def __post_init__(self) -> None:
        assert self.pos_embed in POS_EMBED_KINDS, self.pos_embed
        assert self.embed_dims % self.num_heads == 0, (self.embed_dims, self.num_heads)

    @property
    def feedforward_channels(self) -> int:
        return self.embed_dims * self.mlp_ratio

    @property
    def native_size(self) -> int:
        """Input side (pixels) at which the stored position embedding needs no interpolation."""
        return self.pos_grid * self.patch_size

    def to_dict(self) -> dict:
        return asdict(self)


#: timm/authors' key pattern -> mmpretrain ``VisionTransformer`` key template (``{i}`` the block index).
TIMM_TO_MMPRETRAIN: tuple[tuple[str, str], ...] = (
    (r'cls_token', 'cls_token'),
    (r'pos_embed', 'pos_embed'),
    (r'register_tokens', 'register_tokens'),
    (r'patch_embed\.proj\.(?P<p>weight|bias)', 'patch_embed.projection.{p}'),
    (r'blocks\.(?P<i>\d+)\.norm1\.(?P<p>weight|bias)', 'layers.{i}.ln1.{p}'),
    (r'blocks\.(?P<i>\d+)\.attn\.qkv\.(?P<p>weight|bias)', 'layers.{i}.attn.qkv.{p}'),
    (r'blocks\.(?P<i>\d+)\.attn\.proj\.(?P<p>weight|bias)', 'layers.{i}.attn.proj.{p}'),
    (r'blocks\.(?P<i>\d+)\.ls1\.gamma', 'layers.{i}.attn.gamma1.weight'),
    (r'blocks\.(?P<i>\d+)\.norm2\.(?P<p>weight|bias)', 'layers.{i}.ln2.{p}'),
    (r'blocks\.(?P<i>\d+)\.mlp\.fc1\.(?P<p>weight|bias)', 'layers.{i}.ffn.layers.0.0.{p}'),
    (r'blocks\.(?P<i>\d+)\.mlp\.fc2\.(?P<p>weight|bias)', 'layers.{i}.ffn.layers.1.{p}'),
    (r'blocks\.(?P<i>\d+)\.ls2\.gamma', 'layers.{i}.ffn.gamma2.weight'),
    (r'norm\.(?P<p>weight|bias)', 'ln1.{p}'),
)
_FORWARD = tuple((re.compile(p), t) for p, t in TIMM_TO_MMPRETRAIN)
_BACKWARD = tuple((re.compile(re.escape(t).replace(r'\{i\}', r'(?P<i>\d+)').replace(r'\{p\}', r'(?P<p>weight|bias)')),
                   re.sub(r'\(\?P<(\w)>[^)]*\)', r'{\1}', p).replace('\\.', '.')) for p, t in TIMM_TO_MMPRETRAIN)
#: The source key whose presence (through a row's prefixes) says a file holds a ViT.
VIT_STEM_SOURCE, VIT_STEM = 'patch_embed.proj.weight', 'patch_embed.projection.weight'


def _translate(key: str, table: tuple) -> str | None:
    for pattern, template in table:
        m = pattern.fullmatch(key)
        if m:
            return template.format(**m.groupdict())
    return None


def to_mmpretrain_name(key: str) -> str | None:
    """The mmpretrain name of an authors' (timm-style) ViT key, or ``None`` when it is not a backbone tensor."""
    return _translate(key, _FORWARD)


def to_timm_name(key: str) -> str:
    """The authors' name of a converted key (for messages in the file's own terms); unknown keys are returned."""
    return _translate(key, _BACKWARD) or key


def vit_shapes(arch: ViTArch) -> OrderedDict[str, tuple[int, ...]]:
    """Key -> shape of a converted ViT backbone (mmpretrain names) built as ``arch`` describes."""
    d, f, p = arch.embed_dims, arch.feedforward_channels, arch.patch_size
    shapes: list[tuple[str, tuple[int, ...]]] = [
        ('cls_token', (1, 1, d)), ('pos_embed', (1, arch.pos_grid ** 2 + 1, d)),
        ('patch_embed.projection.weight', (d, 3, p, p)), ('patch_embed.projection.bias', (d,))]
    if arch.num_register_tokens:
        shapes.append(('register_tokens', (1, arch.num_register_tokens, d)))
    for i in range(arch.num_layers):
        b = f'layers.{i}'
        shapes += [(f'{b}.ln1.weight', (d,)), (f'{b}.ln1.bias', (d,)),
                   (f'{b}.attn.qkv.weight', (3 * d, d)), (f'{b}.attn.qkv.bias', (3 * d,)),
                   (f'{b}.attn.proj.weight', (d, d)), (f'{b}.attn.proj.bias', (d,))]
        if arch.layer_scale:
            shapes.append((f'{b}.attn.gamma1.weight', (d,)))
        shapes += [(f'{b}.ln2.weight', (d,)), (f'{b}.ln2.bias', (d,)),
                   (f'{b}.ffn.layers.0.0.weight', (f, d)), (f'{b}.ffn.layers.0.0.bias', (f,)),
                   (f'{b}.ffn.layers.1.weight', (d, f)), (f'{b}.ffn.layers.1.bias', (d,))]
        if arch.layer_scale:
            shapes.append((f'{b}.ffn.gamma2.weight', (d,)))
    shapes += [('ln1.weight', (d,)), ('ln1.bias', (d,))]
    return OrderedDict(shapes)


@dataclass(frozen=True)
class FoundViT:
    """What a converted state dict says about its architecture (heads are never visible)."""

    embed_dims: int
    num_layers: int
    patch_size: int
    pos_grid: int
    layer_scale: bool
    num_register_tokens: int

    def differences(self, arch: ViTArch) -> list[str]:
        """``'name file vs row'`` for each architecture fact that differs from ``arch``."""
        row = dict(embed_dims=arch.embed_dims, num_layers=arch.num_layers, patch_size=arch.patch_size,
                   pos_grid=arch.pos_grid, layer_scale=arch.layer_scale,
                   num_register_tokens=arch.num_register_tokens)
        return [f'{k} {v} in the file vs {row[k]}' for k, v in asdict(self).items() if row[k] != v]


def found_architecture(state: dict) -> FoundViT:
    """Read width, depth, patch, grid, LayerScale and registers from converted (mmpretrain-named) tensors."""
    stem = state[VIT_STEM]
    blocks = {int(m.group(1)) for k in state for m in [re.match(r'layers\.(\d+)\.', k)] if m}
    pos = state.get('pos_embed')
    tokens = int(pos.shape[1]) - 1 if pos is not None and pos.dim() == 3 else 0
    grid = int(round(tokens ** 0.5))
    regs = state.get('register_tokens')
    return FoundViT(embed_dims=int(stem.shape[0]), num_layers=max(blocks) + 1 if blocks else 0,
                    patch_size=int(stem.shape[-1]), pos_grid=grid if grid * grid == tokens else -1,
                    layer_scale=any(k.endswith('gamma1.weight') for k in state),
                    num_register_tokens=int(regs.shape[1]) if regs is not None and regs.dim() == 3 else 0)
