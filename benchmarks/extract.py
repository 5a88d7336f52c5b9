"""Feature-extraction throughput: mmssl_transfer's extractor vs a bare ``torch.inference_mode`` loop.

Both read the same toy dataset through the same mmpretrain pipeline and DataLoader; the bare loop normalises
and runs the backbone by hand. The ratio of throughputs is printed (goal >= 0.95x: the cache-friendly wrapper
costs nothing measurable).

    python benchmarks/extract.py                               # width 16, 64 px, toy DTD (CPU friendly)
    python benchmarks/extract.py --base-channels 64 --image-size 224 --copies 10 --workers 8   # ResNet-50, GPU
"""
import argparse
import tempfile
import time

import torch

from mmssl_transfer.datasets.classification import build_cls_dataset
from mmssl_transfer.probes.features import ExtractionSpec, build_extractor, extract_features
from mmssl_transfer.toy.classification import make_toy_classification


@torch.inference_mode()
def bare_loop(extractor, dataset, batch_size, workers, device):
    from mmengine.dataset import pseudo_collate
    extractor = extractor.to(device)
    mean, std = extractor.mean, extractor.std
    backbone = extractor.backbone
    backbone.eval()  # mmpretrain's ResNet.train() returns None
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=workers,
                                         collate_fn=pseudo_collate, pin_memory=device != 'cpu')
    out = []
    for batch in loader:
        x = torch.stack(batch['inputs']).to(device).float().flip(1)  # BGR -> RGB
        out.append(backbone((x - mean) / std)[-1].mean((2, 3)).cpu())
    return torch.cat(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--base-channels', type=int, default=16)
    parser.add_argument('--image-size', type=int, default=64)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--workers', type=int, default=0)
    parser.add_argument('--repeat', type=int, default=3, help='best of this many timed runs each')
    parser.add_argument('--copies', type=int, default=1, help='repeat the toy dataset this many times')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = make_toy_classification(tmp, datasets=('dtd',), image_size=args.image_size)
        dataset = build_cls_dataset('dtd', str(root / 'dtd'), 'trainval',
                                    ExtractionSpec(args.image_size, args.image_size).pipeline(False))
        dataset = torch.utils.data.ConcatDataset([dataset] * args.copies)
        extractor = build_extractor(None, base_channels=args.base_channels)
        ours_feats = extract_features(extractor, dataset, args.batch_size, args.workers, args.device,
                                      progress=False)
        ref_feats = bare_loop(extractor, dataset, args.batch_size, args.workers, args.device)
        assert torch.allclose(ours_feats, ref_feats, atol=1e-3, rtol=1e-3), 'the two loops disagree'
        times = {}
        for name, fn in (('ours', lambda: extract_features(extractor, dataset, args.batch_size, args.workers,
                                                           args.device, progress=False)),
                         ('bare', lambda: bare_loop(extractor, dataset, args.batch_size, args.workers,
                                                    args.device))):
            best = float('inf')
            for _ in range(args.repeat):
                start = time.perf_counter()
                fn()
                best = min(best, time.perf_counter() - start)
            times[name] = best
            print(f'{name}: {len(dataset) / best:8.1f} images/s ({len(dataset)} images, best of {args.repeat})')
        print(f'device {args.device}, width {args.base_channels}, {args.image_size} px, batch {args.batch_size}, '
              f'{args.workers} workers')
        print(f'throughput ratio ours / bare = {times["bare"] / times["ours"]:.3f} (goal >= 0.95)')


if __name__ == '__main__':
    main()
