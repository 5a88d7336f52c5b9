"""ViT feature-extraction throughput: mmssl_transfer's extractor on SSLViT vs a bare ``torch.inference_mode`` loop.

Both read the same toy images through the same mmpretrain pipeline and DataLoader; the bare loop normalises and
runs the same backbone by hand. The backbone is the real ViT-B/16 of a zoo row (random weights: throughput does
not depend on them), whose attention is ``F.scaled_dot_product_attention`` (printed). The ratio of throughputs is
printed (goal >= 0.95x).

    python benchmarks/extract_vit.py                                    # ViT-B/16, 224 px, 32 images (CPU)
    python benchmarks/extract_vit.py --images 2048 --batch-size 128 --workers 8   # on a GPU
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
    mean, std, backbone = extractor.mean, extractor.std, extractor.backbone.eval()
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=workers,
                                         collate_fn=pseudo_collate, pin_memory=device != 'cpu')
    out = []
    for batch in loader:
        x = torch.stack(batch['inputs']).to(device).float().flip(1)  # BGR -> RGB
        out.append(backbone((x - mean) / std)[0].cpu())
    return torch.cat(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--method', default='dino_vitb16', help='ViT row of the zoo (its architecture is built)')
    parser.add_argument('--feature', default='default', help='feature definition (see probes/features.py)')
    parser.add_argument('--image-size', type=int, default=224)
    parser.add_argument('--images', type=int, default=32, help='images per timed run (the toy set repeated)')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--workers', type=int, default=0)
    parser.add_argument('--repeat', type=int, default=3, help='best of this many timed runs each')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = make_toy_classification(tmp, datasets=('dtd',), image_size=args.image_size)
        dataset = build_cls_dataset('dtd', str(root / 'dtd'), 'trainval',
                                    ExtractionSpec(args.image_size, args.image_size).pipeline(False))
        copies = -(-args.images // len(dataset))
        dataset = torch.utils.data.Subset(torch.utils.data.ConcatDataset([dataset] * copies), range(args.images))
        extractor = build_extractor(None, method=args.method, feature=args.feature)
        attention = extractor.backbone.layers[0].attn.scaled_dot_product_attention
        ours_feats = extract_features(extractor, dataset, args.batch_size, args.workers, args.device,
                                      progress=False)
        ref_feats = bare_loop(extractor, dataset, args.batch_size, args.workers, args.device)
        assert torch.allclose(ours_feats, ref_feats, atol=1e-3, rtol=1e-3), 'the two loops disagree'
        runs = dict(ours=lambda: extract_features(extractor, dataset, args.batch_size, args.workers, args.device,
                                                  progress=False),
                    bare=lambda: bare_loop(extractor, dataset, args.batch_size, args.workers, args.device))
        times = dict.fromkeys(runs, float('inf'))
        for _ in range(args.repeat):  # interleaved, so that a shared machine's load hits both alike
            for name, fn in runs.items():
                start = time.perf_counter()
                fn()
                times[name] = min(times[name], time.perf_counter() - start)
        for name, best in times.items():
            print(f'{name}: {len(dataset) / best:8.2f} images/s ({len(dataset)} images, best of {args.repeat})')
        print(f'device {args.device}, {args.method} ({extractor.backbone.vit_arch.embed_dims}-d, '
              f'{extractor.backbone.num_layers} blocks), feature {extractor.backbone.out_type}, {args.image_size} px, '
              f'batch {args.batch_size}, {args.workers} workers, attention {getattr(attention, "__module__", "")}.'
              f'{getattr(attention, "__name__", attention)}')
        print(f'throughput ratio ours / bare = {times["bare"] / times["ours"]:.3f} (goal >= 0.95)')


if __name__ == '__main__':
    main()
