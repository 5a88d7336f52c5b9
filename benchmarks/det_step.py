"""Train-step time of Faster R-CNN FPN with SSLResNet vs mmdet's stock ResNet-50, and of the ViT detector
(SSLViTDet + SimpleFPN) vs one built from stock ViT pieces at the same size (goal: ratio >= 0.98 for each).

Both detectors are built from the same det config (frozen and finetune protocol), the stock one with
``backbone.type='ResNet'`` (same depth, frozen stages, frozen BN), and share identical weights (the SSLResNet
state dict loads strictly into mmdet's ResNet) and identical input batches; every step is seeded the same so
both do the same sampling work. Steps alternate between the two models (interleaved repeats, order swapped
each repeat) in one process; the ratio is min(stock) / min(SSLResNet) over the repeats (the minimum is the
estimate least disturbed by other load on a shared machine): 1.0 = as fast, < 1 = slower.

    python benchmarks/det_step.py                 # CPU-sized: 1 image of 128x192 per step
    python benchmarks/det_step.py --full          # the protocol's size: batch 2 of 800x1333 images
    python benchmarks/det_step.py --device cuda --full --repeats 20
    python benchmarks/det_step.py --protocols vit-frozen vit-finetune --vit-width 768 --vit-depth 12 --full

The ViT cases build the ViT det bases (configs/_base_/det/faster-rcnn_vit16_simplefpn_voc0712_*.py) at
``--vit-width``/``--vit-depth`` (CPU default: 96 wide, 4 blocks, windows of 4 with blocks 1 and 3 global) and swap
only the backbone for a stock one with the same weights where one exists: frozen, mmpretrain's
``VisionTransformer`` (featmap of the last block through the final norm, every block frozen; the SSLViTDet state
dict loads strictly into it); finetune, mmpretrain's ``ViTSAM`` (SAM's image encoder, the same windowed attention
with decomposed relative positions and global blocks as ViTDet), random weights at the same size, no channel
reduction. Neck and heads are identical (same weights).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

CONFIGS = Path(__file__).resolve().parents[1] / 'configs' / '_base_' / 'det'
PROTOCOL_CONFIGS = {
    'frozen': CONFIGS / 'faster-rcnn_r50_fpn_voc0712_frozen.py',
    'finetune': CONFIGS / 'faster-rcnn_r50_fpn_voc0712_finetune.py',
}
STOCK_BACKBONE_KEYS = ('depth', 'out_indices', 'frozen_stages', 'norm_cfg', 'norm_eval')
VIT_CONFIGS = {
    'vit-frozen': CONFIGS / 'faster-rcnn_vit16_simplefpn_voc0712_frozen.py',
    'vit-finetune': CONFIGS / 'faster-rcnn_vit16_simplefpn_voc0712_finetune.py',
}


def build_pair(config: Path, device: str) -> tuple[torch.nn.Module, torch.nn.Module]:
    """(SSLResNet detector, stock-ResNet detector) with identical weights."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    import mmssl_transfer.models  # noqa: F401  registers SSLResNet

    register_all_modules()
    cfg = Config.fromfile(str(config))
    ssl = MODELS.build(cfg.model)
    ssl.init_weights()
    stock_cfg = cfg.model.copy()
    stock_cfg.backbone = dict(type='ResNet', style='pytorch',
                              **{k: cfg.model.backbone[k] for k in STOCK_BACKBONE_KEYS})
    stock = MODELS.build(stock_cfg)
    stock.load_state_dict(ssl.state_dict(), strict=True)
    return ssl.to(device), stock.to(device)


def build_vit_pair(protocol: str, args: argparse.Namespace) -> tuple[torch.nn.Module, torch.nn.Module]:
    """(SSLViTDet detector, detector on a stock mmpretrain ViT) at the same size, neck and heads identical."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    import mmssl_transfer.models  # noqa: F401  registers SSLViTDet, SimpleFPN, LN2d

    register_all_modules()
    cfg = Config.fromfile(str(VIT_CONFIGS[protocol]))
    width, depth, heads = args.vit_width, args.vit_depth, max(1, args.vit_width // 64)
    quarter = tuple(sorted({max(0, depth * (i + 1) // 4 - 1) for i in range(4)}))
    window = 14 if args.full else 4
    windowed = cfg.model.backbone.window_size > 0
    cfg.model.backbone.update(method='dino_vitb16', toy=True, embed_dims=width, num_layers=depth,
                              **(dict(window_size=window, global_blocks=quarter) if windowed else {}))
    cfg.model.neck.in_channels = width
    ssl = MODELS.build(cfg.model)
    ssl.init_weights()
    stock_cfg = cfg.model.copy()
    arch = dict(embed_dims=width, num_layers=depth, num_heads=12 if width % 12 == 0 else heads,
                feedforward_channels=4 * width)
    if windowed:
        stock_cfg.backbone = dict(type='mmpretrain.ViTSAM', arch=dict(arch, global_attn_indexes=list(quarter)),
                                  img_size=args.width, out_channels=0, out_type='featmap', window_size=window,
                                  use_rel_pos=True, drop_path_rate=cfg.model.backbone.get('drop_path_rate', 0.))
    else:
        stock_cfg.backbone = dict(type='mmpretrain.VisionTransformer', arch=arch, img_size=224, patch_size=16,
                                  out_type='featmap', out_indices=[-1], final_norm=True, qkv_bias=True,
                                  norm_cfg=dict(type='LN', eps=1e-6), frozen_stages=depth, patch_cfg=dict(padding=0))
    stock = MODELS.build(stock_cfg)
    state = ssl.state_dict()
    if not windowed:
        stock.load_state_dict(state, strict=True)
    else:
        missing, unexpected = stock.load_state_dict({k: v for k, v in state.items()
                                                     if not k.startswith('backbone.')}, strict=False)
        assert not unexpected and all(k.startswith('backbone.') for k in missing)
    return ssl.to(args.device), stock.to(args.device)


def make_batch(model: torch.nn.Module, batch: int, height: int, width: int, device: str) -> dict:
    from mmdet.testing import demo_mm_inputs
    packed = demo_mm_inputs(batch_size=batch, image_shapes=[(3, height, width)] * batch, num_items=[4] * batch,
                            num_classes=20, device=device)
    return model.data_preprocessor(packed, True)


def train_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, data: dict, seed: int,
               device: str) -> float:
    torch.manual_seed(seed)
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    losses = model(**data, mode='loss')
    loss, _ = model.parse_losses(losses)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def bench_protocol(protocol: str, args: argparse.Namespace) -> float:
    vit = protocol in VIT_CONFIGS
    ssl, stock = build_vit_pair(protocol, args) if vit else build_pair(PROTOCOL_CONFIGS[protocol], args.device)
    ours, theirs = ('SSLViTDet', 'stock ViT') if vit else ('SSLResNet', 'ResNet')
    models = {ours: ssl, theirs: stock}
    optimizers = {name: torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=1e-4, momentum=0.9)
                  for name, m in models.items()}
    for m in models.values():
        m.train()
    data = make_batch(ssl, args.batch, args.height, args.width, args.device)
    times: dict[str, list[float]] = {name: [] for name in models}
    for step in range(args.warmup + args.repeats):
        order = list(models) if step % 2 == 0 else list(reversed(models))
        for name in order:
            elapsed = train_step(models[name], optimizers[name], data, seed=step, device=args.device)
            if step >= args.warmup:
                times[name].append(elapsed)
    med = {name: min(t) for name, t in times.items()}
    ratio = med[theirs] / med[ours]
    print(f'{protocol:12s} {theirs} {med[theirs] * 1e3:8.1f} ms  {ours} {med[ours] * 1e3:8.1f} ms'
          f'  speed ratio (stock/ours) {ratio:.3f}  {"OK" if ratio >= 0.98 else "below goal 0.98"}')
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--full', action='store_true', help='800x1333 images (the protocol test size)')
    parser.add_argument('--height', type=int, default=128)
    parser.add_argument('--width', type=int, default=192)
    parser.add_argument('--batch', type=int, default=1, help='images per step (--full: 2, as per GPU in the protocol)')
    parser.add_argument('--repeats', type=int, default=6, help='timed steps per model and protocol')
    parser.add_argument('--warmup', type=int, default=1, help='untimed steps per model first')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--protocols', nargs='+', choices=[*PROTOCOL_CONFIGS, *VIT_CONFIGS],
                        default=[*PROTOCOL_CONFIGS, *VIT_CONFIGS])
    parser.add_argument('--vit-width', type=int, default=96, help='ViT cases: token width (768: ViT-B)')
    parser.add_argument('--vit-depth', type=int, default=4, help='ViT cases: blocks (12: ViT-B)')
    args = parser.parse_args(argv)
    if args.full:
        args.height, args.width, args.batch = 800, 1333, 2
    MMLogger.get_instance('det_step', log_level='WARNING')  # silence the per-parameter init log
    print(f'Faster R-CNN train step (R50-FPN; ViT {args.vit_width} wide x {args.vit_depth} + SimpleFPN), '
          f'batch {args.batch} x {args.height}x{args.width}, {args.device}, {args.repeats} interleaved repeats (min)')
    for protocol in args.protocols:
        bench_protocol(protocol, args)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
