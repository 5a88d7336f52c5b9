"""An independent transcription of the authors' ViT model code, and their checkpoint containers, for tests.

The model follows facebookresearch/dino ``vision_transformer.py`` (explicit softmax attention, ``prepare_tokens``,
``interpolate_pos_encoding`` with the ``+ 0.1`` scale factor, ``get_intermediate_layers`` through the final
norm), with DINOv2's additions (``dinov2/models/vision_transformer.py``: ``ls1``/``ls2`` LayerScale ``gamma``,
``mask_token``, ``register_tokens`` inserted after the position embedding, ``interpolate_offset``/``antialias``)
and MoCo v3's fixed 2-D sin-cos position embedding (``vits.py``). Nothing here imports mmssl_transfer or
mmpretrain. The writers reproduce each release's ``torch.save`` container (read from their save code).
"""
from __future__ import annotations

import argparse
import copy
import math
import warnings
from pathlib import Path

import torch
from torch import nn


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Attention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads, self.scale = num_heads, (dim // num_heads) ** -0.5
        self.qkv, self.proj = nn.Linear(dim, dim * 3, bias=True), nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))


class LayerScale(nn.Module):
    def __init__(self, dim, init_values):
        super().__init__()
        self.gamma = nn.Parameter(init_values * torch.ones(dim))

    def forward(self, x):
        return x * self.gamma


class Block(nn.Module):
    def __init__(self, dim, num_heads, init_values=None):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads)
        self.ls1 = LayerScale(dim, init_values) if init_values else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, 4 * dim)
        self.ls2 = LayerScale(dim, init_values) if init_values else nn.Identity()

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    def __init__(self, patch_size, dim):
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(3, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


def sincos_pos_embed(grid: int, dim: int, temperature: float = 10000.) -> torch.Tensor:
    """MoCo v3's ``build_2d_sincos_position_embedding`` with its zero CLS slot."""
    grid_w, grid_h = torch.meshgrid(torch.arange(grid, dtype=torch.float32), torch.arange(grid, dtype=torch.float32),
                                    indexing='ij')
    pos_dim = dim // 4
    omega = 1. / (temperature ** (torch.arange(pos_dim, dtype=torch.float32) / pos_dim))
    out_w = torch.einsum('m,d->md', grid_w.flatten(), omega)
    out_h = torch.einsum('m,d->md', grid_h.flatten(), omega)
    pos = torch.cat([torch.sin(out_w), torch.cos(out_w), torch.sin(out_h), torch.cos(out_h)], dim=1)[None]
    return torch.cat([torch.zeros(1, 1, dim), pos], dim=1)


class AuthorsViT(nn.Module):
    """DINO's ViT with DINOv2's LayerScale/registers/mask token and MoCo v3's sin-cos option."""

    def __init__(self, dim, depth, num_heads, patch_size, img_size, init_values=None, num_register_tokens=0,
                 interpolate_offset=0.1, interpolate_antialias=False, mask_token=False, sincos=False):
        super().__init__()
        self.patch_size, self.num_register_tokens = patch_size, num_register_tokens
        self.interpolate_offset, self.interpolate_antialias = interpolate_offset, interpolate_antialias
        self.patch_embed = PatchEmbed(patch_size, dim)
        n = (img_size // patch_size) ** 2
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(sincos_pos_embed(img_size // patch_size, dim) if sincos
                                      else torch.randn(1, n + 1, dim) * 0.02)
        self.register_tokens = (nn.Parameter(torch.randn(1, num_register_tokens, dim) * 0.02)
                                if num_register_tokens else None)
        self.blocks = nn.ModuleList(Block(dim, num_heads, init_values) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        if mask_token:
            self.mask_token = nn.Parameter(torch.zeros(1, dim))
        with torch.no_grad():  # trained-looking weights: no all-ones norms, non-trivial LayerScale
            for name, p in self.named_parameters():
                if name.endswith(('norm1.weight', 'norm2.weight', 'norm.weight')):
                    p.copy_(1 + 0.1 * torch.randn_like(p))
                elif name.endswith(('norm1.bias', 'norm2.bias', 'norm.bias')):
                    p.copy_(0.1 * torch.randn_like(p))
                elif name.endswith('gamma'):
                    p.copy_(0.5 + 0.2 * torch.randn_like(p))

    def interpolate_pos_encoding(self, x, w, h):
        npatch, N = x.shape[1] - 1, self.pos_embed.shape[1] - 1
        if npatch == N and w == h:
            return self.pos_embed
        pos_embed = self.pos_embed.float()
        class_pos_embed, patch_pos_embed = pos_embed[:, 0], pos_embed[:, 1:]
        dim = x.shape[-1]
        w0, h0 = w // self.patch_size, h // self.patch_size
        M = int(math.sqrt(N))
        if self.interpolate_offset:
            kwargs = dict(scale_factor=(float(w0 + self.interpolate_offset) / M,
                                        float(h0 + self.interpolate_offset) / M))
        else:
            kwargs = dict(size=(w0, h0))
        patch_pos_embed = nn.functional.interpolate(patch_pos_embed.reshape(1, M, M, dim).permute(0, 3, 1, 2),
                                                    mode='bicubic', antialias=self.interpolate_antialias, **kwargs)
        assert (w0, h0) == patch_pos_embed.shape[-2:]
        patch_pos_embed = patch_pos_embed.permute(0, 2, 3, 1).view(1, -1, dim)
        return torch.cat((class_pos_embed.unsqueeze(0), patch_pos_embed), dim=1)

    def prepare_tokens(self, x):
        B, nc, w, h = x.shape
        x = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(B, -1, -1), x), dim=1)
        x = x + self.interpolate_pos_encoding(x, w, h)
        if self.register_tokens is not None:
            x = torch.cat((x[:, :1], self.register_tokens.expand(B, -1, -1), x[:, 1:]), dim=1)
        return x

    def get_intermediate_layers(self, x, n=1):
        """Every token of the last ``n`` blocks, each through the final norm (DINO)."""
        x = self.prepare_tokens(x)
        output = []
        for i, blk in enumerate(self.blocks):
            x = blk(x)
            if len(self.blocks) - i <= n:
                output.append(self.norm(x))
        return output

    def get_intermediate_layers_with_class_token(self, x, n):
        """DINOv2's ``get_intermediate_layers(x, n, return_class_token=True)`` (norm=True): ``(patch tokens without
        the registers, class token)`` of each of the last ``n`` blocks, through the final norm."""
        return [(o[:, 1 + self.num_register_tokens:], o[:, 0]) for o in self.get_intermediate_layers(x, n)]

    def dinov2_linear_input(self, x, layers=4):
        """The input of DINOv2's released linear heads (hub/classifiers.py ``_LinearClassifierWrapper``): layers=1
        the final-norm CLS and patch-token mean of ``forward_features``; layers=4 the class tokens of the last 4
        blocks and the mean of the last block's patch tokens (any ``layers`` here, for toy depths)."""
        if layers == 1:
            out = self.get_intermediate_layers(x, 1)[-1]
            return torch.cat([out[:, 0], out[:, 1 + self.num_register_tokens:].mean(dim=1)], dim=1)
        outs = self.get_intermediate_layers_with_class_token(x, layers)
        return torch.cat([cls for _, cls in outs] + [outs[-1][0].mean(dim=1)], dim=1)

    def features(self, x, n_last=4):
        """The feature definitions of the benchmark from the authors' outputs."""
        outs = self.get_intermediate_layers(x, n_last)
        last, start = outs[-1], 1 + self.num_register_tokens
        return dict(cls=last[:, 0], patch_mean=last[:, start:].mean(1),
                    cls_patch_mean=torch.cat((last[:, 0], last[:, start:].mean(1)), dim=-1),
                    last4_cls=torch.cat([o[:, 0] for o in outs], dim=-1),
                    last4_cls_patch_mean=self.dinov2_linear_input(x, n_last),
                    featmap=last[:, start:].reshape(x.shape[0], x.shape[2] // self.patch_size,
                                                    x.shape[3] // self.patch_size, -1).permute(0, 3, 1, 2))


#: zoo row -> (authors' model kwargs at toy width, writer name, official file name)
ROWS = {
    'dino_vits16': (dict(num_heads=6, patch_size=16, img_size=224), 'dino', 'dino_deitsmall16_pretrain.pth'),
    'dino_vitb16': (dict(num_heads=12, patch_size=16, img_size=224), 'dino', 'dino_vitbase16_pretrain.pth'),
    'mocov3_vits': (dict(num_heads=12, patch_size=16, img_size=224, sincos=True, interpolate_offset=0),
                    'mocov3', 'vit-s-300ep.pth.tar'),
    'mocov3_vitb': (dict(num_heads=12, patch_size=16, img_size=224, sincos=True, interpolate_offset=0),
                    'mocov3', 'vit-b-300ep.pth.tar'),
    'mae_vitb16': (dict(num_heads=12, patch_size=16, img_size=224, sincos=True, mask_token=True,
                        interpolate_offset=0), 'mae', 'mae_pretrain_vit_base.pth'),
    'ibot_vits16': (dict(num_heads=6, patch_size=16, img_size=224), 'ibot', 'ibot_vits16.pth'),
    'ibot_vitb16': (dict(num_heads=12, patch_size=16, img_size=224), 'ibot', 'ibot_vitb16.pth'),
    'dinov2_vits14': (dict(num_heads=6, patch_size=14, img_size=518, init_values=1.0, mask_token=True), 'plain',
                      'dinov2_vits14_pretrain.pth'),
    'dinov2_vitb14': (dict(num_heads=12, patch_size=14, img_size=518, init_values=1.0, mask_token=True), 'plain',
                      'dinov2_vitb14_pretrain.pth'),
    'dinov2_vits14_reg4': (dict(num_heads=6, patch_size=14, img_size=518, init_values=1.0, mask_token=True,
                                num_register_tokens=4, interpolate_offset=0.0, interpolate_antialias=True),
                           'plain', 'dinov2_vits14_reg4_pretrain.pth'),
    'dinov2_vitb14_reg4': (dict(num_heads=12, patch_size=14, img_size=518, init_values=1.0, mask_token=True,
                                num_register_tokens=4, interpolate_offset=0.0, interpolate_antialias=True),
                           'plain', 'dinov2_vitb14_reg4_pretrain.pth'),
}


def authors_model(row: str, dim: int = 24, depth: int = 3, seed: int = 0, **override) -> AuthorsViT:
    torch.manual_seed(seed)
    return AuthorsViT(dim=dim, depth=depth, **{**ROWS[row][0], **override}).eval()


def _head(prefix: str, dim: int, out: int = 16) -> dict:
    return {f'{prefix}mlp.0.weight': torch.randn(32, dim), f'{prefix}mlp.0.bias': torch.zeros(32),
            f'{prefix}mlp.2.weight': torch.randn(out, 32), f'{prefix}mlp.2.bias': torch.zeros(out)}


class IBOTHead(nn.Module):
    """iBOT's ``models/head.py`` iBOTHead at a toy width: DINOHead's MLP and weight-normed ``last_layer``, and
    ``last_layer2`` for the patch tokens, which is the same module with ``shared_head`` (the released runs)."""

    def __init__(self, dim, out_dim=16, hidden=32, bottleneck=8, shared_head=True):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Linear(hidden, bottleneck))
        with warnings.catch_warnings():  # iBOT uses the old weight_norm (weight_g / weight_v)
            warnings.simplefilter('ignore')
            self.last_layer = nn.utils.weight_norm(nn.Linear(bottleneck, out_dim, bias=False))
            self.last_layer2 = self.last_layer if shared_head else nn.utils.weight_norm(
                nn.Linear(bottleneck, out_dim, bias=False))


class MultiCropWrapper(nn.Module):
    """DINO/iBOT ``utils.MultiCropWrapper``: what the state dict names ``backbone.`` and ``head.``."""

    def __init__(self, backbone, head):
        super().__init__()
        self.backbone, self.head = backbone, head


class DDP(nn.Module):
    """What DistributedDataParallel adds to the names of the student: ``module.``."""

    def __init__(self, module):
        super().__init__()
        self.module = module


class IBOTLoss(nn.Module):
    """main_ibot.py iBOTLoss's saved state: the CLS and patch centres."""

    def __init__(self, out_dim=16, patch_out_dim=16):
        super().__init__()
        self.register_buffer('center', torch.zeros(1, out_dim))
        self.register_buffer('center2', torch.zeros(1, 1, patch_out_dim))


def ibot_full_checkpoint(teacher: AuthorsViT) -> dict:
    """main_ibot.py's ``save_dict`` (written as ``checkpoint.pth``): the DDP student (its backbone with MIM's
    ``masked_embed`` and other weights than the teacher's), the plain MultiCropWrapper teacher, optimizer, epoch,
    args and the loss state."""
    dim = teacher.cls_token.shape[-1]
    student_backbone = copy.deepcopy(teacher)
    student_backbone.masked_embed = nn.Parameter(torch.zeros(1, dim))
    with torch.no_grad():
        for p in student_backbone.parameters():
            p.add_(0.05 * torch.randn_like(p))
    student = DDP(MultiCropWrapper(student_backbone, IBOTHead(dim)))
    return dict(student=student.state_dict(), teacher=MultiCropWrapper(teacher, IBOTHead(dim)).state_dict(),
                optimizer={'state': {}, 'param_groups': [{'lr': 0.0, 'params': [0, 1]}]}, epoch=800,
                args=argparse.Namespace(arch='vit_small', patch_size=16, shared_head=True),
                ibot_loss=IBOTLoss().state_dict())


def write_release(model: AuthorsViT, path: Path, layout: str) -> Path:
    """``torch.save`` the model as its authors' release does (``layout``: dino, dino_full, mocov3, mae, ibot,
    ibot_full, plain)."""
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    dim = sd['cls_token'].shape[-1]
    if layout in ('dino', 'plain'):  # DINO backbone-only (teacher) file; DINOv2 hub file
        obj = sd
    elif layout == 'dino_full':  # main_dino.py save_dict: DDP student, plain MultiCropWrapper teacher
        obj = dict(student={**{f'module.backbone.{k}': v for k, v in sd.items()}, **_head('module.head.', dim)},
                   teacher={**{f'backbone.{k}': v for k, v in sd.items()}, **_head('head.', dim),
                            'head.last_layer.weight_g': torch.ones(16, 1), 'head.last_layer.weight_v':
                            torch.randn(16, 16)},
                   optimizer={'state': {}, 'param_groups': [{'lr': 0.0, 'params': [0, 1]}]}, epoch=100,
                   args=argparse.Namespace(arch='vit_small', patch_size=16), dino_loss={'center': torch.zeros(1, 16)})
    elif layout == 'mocov3':  # main_moco.py save_checkpoint of the DDP MoCo_ViT
        state = {f'module.base_encoder.{k}': v for k, v in sd.items()}
        state.update({f'module.base_encoder.head.{i}.weight': torch.randn(8, dim if i == 0 else 8) for i in (0, 3)})
        state.update({f'module.momentum_encoder.{k}': v.clone() for k, v in sd.items()})
        state.update({'module.predictor.0.weight': torch.randn(8, 8)})
        obj = dict(epoch=300, arch='vit_small', state_dict=state, optimizer={'state': {}, 'param_groups': []},
                   scaler={'scale': 65536.0})
    elif layout == 'mae':  # main_pretrain.py save_model of MaskedAutoencoderViT (encoder, decoder, mask token)
        decoder = {'decoder_embed.weight': torch.randn(16, dim), 'decoder_pred.weight': torch.randn(48, 16)}
        state = dict(sd, mask_token=torch.zeros(1, 1, 16), **decoder)
        obj = dict(model=state)
    elif layout == 'ibot':  # checkpoint_teacher.pth
        obj = dict(state_dict=sd)
    elif layout == 'ibot_full':  # checkpoint.pth
        obj = ibot_full_checkpoint(model)
    else:
        raise ValueError(layout)
    torch.save(obj, path)
    return path
