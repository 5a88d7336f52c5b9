"""Train-step time of Faster R-CNN FPN with SSLResNet vs mmdet's stock ResNet-50 (goal: ratio >= 0.98).

Both detectors are built from the same det config (frozen and finetune protocol), the stock one with
``backbone.type='ResNet'`` (same depth, frozen stages, frozen BN), and share identical weights (the SSLResNet
state dict loads strictly into mmdet's ResNet) and identical input batches; every step is seeded the same so
both do the same sampling work. Steps alternate between the two models (interleaved repeats, order swapped
each repeat) in one process; the ratio is min(stock) / min(SSLResNet) over the repeats (the minimum is the
estimate least disturbed by other load on a shared machine): 1.0 = as fast, < 1 = slower.

    python benchmarks/det_step.py                 # CPU-sized: 1 image of 128x192 per step
    python benchmarks/det_step.py --full          # the protocol's size: batch 2 of 800x1333 images
    python benchmarks/det_step.py --device cuda --full --repeats 20
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
    ssl, stock = build_pair(PROTOCOL_CONFIGS[protocol], args.device)
    models = {'SSLResNet': ssl, 'ResNet': stock}
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
    ratio = med['ResNet'] / med['SSLResNet']
    print(f'{protocol:9s} stock ResNet {med["ResNet"] * 1e3:8.1f} ms  SSLResNet {med["SSLResNet"] * 1e3:8.1f} ms'
          f'  speed ratio (stock/SSL) {ratio:.3f}  {"OK" if ratio >= 0.98 else "below goal 0.98"}')
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
    parser.add_argument('--protocols', nargs='+', choices=list(PROTOCOL_CONFIGS), default=list(PROTOCOL_CONFIGS))
    args = parser.parse_args(argv)
    if args.full:
        args.height, args.width, args.batch = 800, 1333, 2
    MMLogger.get_instance('det_step', log_level='WARNING')  # silence the per-parameter init log
    print(f'Faster R-CNN R50-FPN train step, batch {args.batch} x {args.height}x{args.width}, {args.device}, '
          f'{args.repeats} interleaved repeats (min)')
    for protocol in args.protocols:
        bench_protocol(protocol, args)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
