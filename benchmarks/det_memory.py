"""Peak memory of one ViT detector training step at VOC sizes (README "ViT detection": memory of a ViT-B).

Builds the ViT det base of a protocol (configs/_base_/det/faster-rcnn_vit{patch}_simplefpn_voc0712_*.py) for a ViT
zoo row at its full size with random weights (no download), runs one training step (forward, backward, AdamW) on a
batch of images of the protocol's largest scale and prints the peak: resident memory of the process on the CPU
(``ru_maxrss``), ``torch.cuda.max_memory_allocated`` on a GPU (``--amp``: under bfloat16/float16 autocast, as
``tools/train.py --amp`` runs).

    python benchmarks/det_memory.py --protocol finetune                 # ViT-B/16, 1 x 800x1333, CPU
    python benchmarks/det_memory.py --device cuda --batch 2 --amp       # the protocol's batch on one GPU
"""
from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

CONFIGS = Path(__file__).resolve().parents[1] / 'configs' / '_base_' / 'det'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--protocol', choices=['frozen', 'finetune'], default='finetune')
    parser.add_argument('--method', default='dino_vitb16', help='a ViT zoo row (its architecture, random weights)')
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--height', type=int, default=800)
    parser.add_argument('--width', type=int, default=1333)
    parser.add_argument('--amp', action='store_true', help='autocast (GPU)')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args(argv)
    MMLogger.get_instance('det_memory', log_level='WARNING')
    from mmdet.registry import MODELS
    from mmdet.testing import demo_mm_inputs
    from mmdet.utils import register_all_modules

    import mmssl_transfer.models  # noqa: F401  registers SSLViTDet, SimpleFPN, LN2d
    from mmssl_transfer.checkpoints import VIT_ZOO

    register_all_modules()
    arch = VIT_ZOO[args.method].vit
    cfg = Config.fromfile(str(CONFIGS / f'faster-rcnn_vit{arch.patch_size}_simplefpn_voc0712_{args.protocol}.py'))
    cfg.model.backbone.update(method=args.method)
    cfg.model.neck.in_channels = arch.embed_dims
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.to(args.device).train()
    built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    packed = demo_mm_inputs(batch_size=args.batch, image_shapes=[(3, args.height, args.width)] * args.batch,
                            num_items=[4] * args.batch, num_classes=20, device=args.device)
    data = model.data_preprocessor(packed, True)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    if args.device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    with torch.autocast(args.device.split(':')[0], enabled=args.amp):
        loss, _ = model.parse_losses(model(**data, mode='loss'))
    loss.backward()
    optimizer.step()
    elapsed = time.perf_counter() - start
    where = f'{args.protocol} {args.method}, batch {args.batch} x {tuple(data["inputs"].shape[-2:])}, {args.device}'
    if args.device.startswith('cuda'):
        peak = torch.cuda.max_memory_allocated() / 2**30
        print(f'{where}{" amp" if args.amp else ""}: one step {elapsed:.1f} s, peak GPU memory {peak:.2f} GiB')
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(f'{where}: one step {elapsed:.0f} s, peak resident memory {peak:.2f} GiB '
              f'(the model built: {built / 2**20:.2f} GiB)')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
