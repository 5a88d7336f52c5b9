"""Feature-property speed: batched occluded forwards vs a one-at-a-time loop, and the paper-size job per GPU-hour.

Occlusion saliency needs (242 - 10 + 1)^2 = 54,289 forwards per image; the paper's set is 15 images per backbone.
This measures, in the same run and on the same backbone, occluded forwards per second of
:func:`~mmssl_transfer.probes.feature_properties.saliency.occlusion_saliency`'s batched path (one broadcast mask per
batch, ``torch.inference_mode``) against the naive loop (clone, zero the patch, forward one image), over the first
``--positions`` patch positions, and prints the ratio. It also times one DIP step (the generator at 256 plus the
backbone's forward and backward at 224, ``--fits`` fits at once) in units of one batched occluded forward.

The fraction of the paper-size job (15 images: saliency + 3001 DIP steps each) one GPU-hour covers needs a GPU
throughput; where no GPU is at hand it is ESTIMATED: the measured CPU cost ratio of a DIP step to an occluded
forward, times ``--gpu-forwards-per-s`` (an assumed batched ResNet-50 inference rate at 242 px, stated in the
output; not a measurement), gives the job's GPU seconds. On a GPU, the measured rate is used instead.

    python benchmarks/feature_properties.py                        # ResNet-50, 32 positions, CPU or GPU
    python benchmarks/feature_properties.py --base-channels 8      # a quick toy-width run
"""
import argparse
import time

import torch

from mmssl_transfer.probes.feature_properties.dip import SkipConfig, invert_features
from mmssl_transfer.probes.feature_properties.saliency import OcclusionGrid, occlusion_saliency, relative_distance
from mmssl_transfer.probes.features import build_extractor

PAPER_IMAGES = 15
PAPER_STEPS = 3001


def naive_scores(features, image, grid, positions):
    """The usual loop: clone the image, zero one patch, one forward per position."""
    clean = features(image[None])[0]
    out = []
    for top, left in positions.tolist():
        occluded = image.clone()
        occluded[:, top:top + grid.patch, left:left + grid.patch] = 0
        out.append(relative_distance(clean, features(occluded[None])))
    return torch.cat(out)


def batched_scores(features, image, grid, positions, batch_size):
    clean = features(image[None])[0]
    return torch.cat([relative_distance(clean, features(grid.occlude(image, chunk)))
                      for chunk in positions.split(batch_size)])


def _timed(fn, device):
    if device.type == 'cuda':
        torch.cuda.synchronize()
    start = time.perf_counter()
    out = fn()
    if device.type == 'cuda':
        torch.cuda.synchronize()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--base-channels', type=int, default=64, help='backbone width (64 = ResNet-50)')
    parser.add_argument('--positions', type=int, default=32, help='patch positions timed by both paths')
    parser.add_argument('--batch-size', type=int, default=32, help='occluded copies per batched forward')
    parser.add_argument('--fits', type=int, default=1, help='DIP fits per timed step')
    parser.add_argument('--dip-steps', type=int, default=2, help='DIP steps timed (after one warm-up step)')
    parser.add_argument('--gpu-forwards-per-s', type=float, default=3000.0,
                        help='ASSUMED batched fp32 ResNet-50 inference rate of one GPU at 242 px, used only when '
                             'no GPU is measured (default 3000/s)')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args()
    device = torch.device(args.device)
    extractor = build_extractor(None, base_channels=args.base_channels).to(device).eval()
    for p in extractor.parameters():
        p.requires_grad_(False)
    backbone = extractor.backbone

    def pooled(x):
        return backbone(x)[0].mean((2, 3))

    grid = OcclusionGrid()
    image = torch.randn(3, 242, 242, device=device)
    positions = grid.positions()[:args.positions]
    with torch.inference_mode():
        batched_scores(pooled, image, grid, positions[:args.batch_size], args.batch_size)  # warm-up
        fast, t_batched = _timed(lambda: batched_scores(pooled, image, grid, positions, args.batch_size), device)
        slow, t_naive = _timed(lambda: naive_scores(pooled, image, grid, positions), device)
    torch.testing.assert_close(fast, slow, rtol=1e-3, atol=1e-5)
    rate_batched, rate_naive = len(positions) / t_batched, len(positions) / t_naive
    print(f'device {device}, width {args.base_channels}, {len(positions)} positions, batch {args.batch_size}')
    print(f'occluded forwards/s: batched {rate_batched:.1f}, one-at-a-time loop {rate_naive:.1f}, '
          f'ratio {rate_batched / rate_naive:.2f}x (same scores)')
    # a full image's saliency through the package function, timed only on a GPU (minutes per image on a CPU)
    if device.type == 'cuda':
        _, t_image = _timed(lambda: occlusion_saliency(pooled, image, grid, batch_size=512), device)
        print(f'one full 242px saliency map (54,289 forwards): {t_image:.1f} s')

    def stage_map(x):
        return backbone(x)[0]
    targets = torch.randn(args.fits, *stage_map(torch.zeros(1, 3, 224, 224, device=device)).shape[1:], device=device)
    seeds = list(range(args.fits))
    invert_features(stage_map, targets, seeds, SkipConfig(), max_iter=0, device=device)  # warm-up
    _, t_dip = _timed(lambda: invert_features(stage_map, targets, seeds, SkipConfig(), max_iter=args.dip_steps - 1,
                                              device=device), device)
    step_per_fit = t_dip / args.dip_steps / args.fits
    step_in_forwards = step_per_fit * rate_batched
    print(f'one DIP step per fit: {step_per_fit:.3f} s = {step_in_forwards:.1f} batched occluded forwards')
    forwards = PAPER_IMAGES * grid.num_positions + PAPER_IMAGES * PAPER_STEPS * step_in_forwards
    gpu_rate = rate_batched if device.type == 'cuda' else args.gpu_forwards_per_s
    source = 'measured' if device.type == 'cuda' else f'ASSUMED {gpu_rate:.0f} forwards/s (not measured)'
    job_hours = forwards / gpu_rate / 3600
    print(f'paper-size job per backbone (15 images: saliency {PAPER_IMAGES * grid.num_positions:,} forwards + '
          f'{PAPER_IMAGES} x {PAPER_STEPS} DIP steps) = {forwards:,.0f} forward-equivalents; at {source}: '
          f'{job_hours:.2f} GPU-hours, so one GPU-hour covers {min(1.0, 1 / job_hours):.1%} of it '
          f'({1 / job_hours / 14:.1%} of all 14 backbones)')


if __name__ == '__main__':
    main()
