"""Toy ViT checkpoints: one tiny file per ViT row of the zoo, in that release's container and key names.

The backbone tensors are named as the authors' timm-style models name them (``cls_token``, ``pos_embed``,
``patch_embed.proj``, ``blocks.{i}.norm1/attn.qkv/attn.proj/norm2/mlp.fc1/mlp.fc2`` and DINOv2's ``ls1/ls2.gamma``,
``register_tokens``, ``norm``) at the row's patch, grid, LayerScale and registers but a tiny width and depth, and
wrapped as each release is: DINO and DINOv2 raw dicts (DINOv2 with its ``mask_token``), MoCo v3's
``{'epoch', 'arch', 'state_dict': {module.base_encoder.*, module.momentum_encoder.*, module.predictor.*}, ...}``
with the MLP head, MAE's ``{'model': ...}`` with decoder tensors and mask token, iBOT's ``{'state_dict': ...}``.
Files are named ``<row><ext>`` (a zoo name picks the row: the tiny width cannot). Next to each,
``<row>.expected.safetensors`` holds the mmpretrain-named tensors a correct conversion gives. Toy numbers mean
nothing; ``tests/vit_reference.py`` writes the fixtures that prove a correct load from a transcription of the
authors' model code.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from mmssl_transfer.checkpoints.vit_layout import to_timm_name, vit_shapes
from mmssl_transfer.checkpoints.zoo import VIT_ZOO, MethodSpec, get_method


def toy_vit_checkpoint_path(folder: str | Path, row: str) -> Path:
    """Path of the toy file of ``row`` inside the folder :func:`make_toy_vit_checkpoints` returns."""
    spec = get_method(row)
    return Path(folder) / f'{spec.name}{spec.extension}'


def authors_state(spec: MethodSpec, width: int, depth: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
    """The row's backbone tensors at ``width``/``depth`` in the authors' key names (norms near 1, small rest)."""
    arch = replace(spec.vit, embed_dims=width, num_layers=depth)
    state = {}
    for key, shape in vit_shapes(arch).items():
        noise = torch.randn(shape, generator=gen)
        near_one = key.endswith(('ln1.weight', 'ln2.weight', 'gamma1.weight', 'gamma2.weight'))
        state[to_timm_name(key)] = 1 + 0.1 * noise if near_one else 0.05 * noise
    return state


def _wrapped(spec: MethodSpec, state: dict[str, torch.Tensor], gen: torch.Generator) -> dict:
    """The release's container around the backbone ``state`` (heads and training extras included)."""
    width = state['cls_token'].shape[-1]
    if spec.name.startswith('mocov3'):
        inner = {f'module.base_encoder.{k}': v for k, v in state.items()}
        inner.update({f'module.base_encoder.head.{i}.weight': torch.randn(8, width if i == 0 else 8, generator=gen)
                      for i in (0, 3)})
        inner.update({f'module.momentum_encoder.{k}': v.clone() for k, v in state.items()})
        inner['module.predictor.0.weight'] = torch.randn(8, 8, generator=gen)
        return dict(epoch=300, arch='vit_small', state_dict=inner, optimizer={'state': {}, 'param_groups': []},
                    scaler={'scale': 65536.0})
    if spec.name.startswith('mae'):
        return dict(model=dict(state, mask_token=torch.zeros(1, 1, 16),
                               **{'decoder_embed.weight': torch.randn(16, width, generator=gen)}))
    if spec.name.startswith('ibot'):
        return dict(state_dict=state)
    if spec.name.startswith('dinov2'):
        return dict(state, mask_token=torch.zeros(1, width))
    return state  # DINO's backbone-only teacher file


def make_toy_vit_checkpoints(out_dir: str | Path, seed: int = 0, width: int = 24, depth: int = 2,
                             rows: list[str] | None = None) -> Path:
    """Write ``out_dir/vit_checkpoints/<row><ext>`` (+ ``<row>.expected.safetensors``) and return the folder.

    Args:
        out_dir: Parent folder.
        seed: Seed of the weights (offset per row).
        width: Token width (divisible by every row's heads: 12). Defaults to 24.
        depth: Number of blocks. Defaults to 2.
        rows: ViT rows (aliases accepted). Defaults to every row of the ViT zoo.
    """
    from safetensors.torch import save_file

    from mmssl_transfer.checkpoints.vit_layout import to_mmpretrain_name
    folder = Path(out_dir) / 'vit_checkpoints'
    folder.mkdir(parents=True, exist_ok=True)
    for index, row in enumerate(get_method(r).name for r in (rows or list(VIT_ZOO))):
        spec = get_method(row)
        gen = torch.Generator().manual_seed(seed + 7919 * index)
        state = authors_state(spec, width, depth, gen)
        torch.save(_wrapped(spec, state, gen), toy_vit_checkpoint_path(folder, row))
        save_file({to_mmpretrain_name(k): v.contiguous() for k, v in state.items()},
                  str(folder / f'{row}.expected.safetensors'), metadata={'width': str(width), 'seed': str(seed)})
    return folder
