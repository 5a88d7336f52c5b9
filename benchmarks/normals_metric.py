"""Memory and time of NormalAngularMetric (streaming accumulator) vs storing every angle (the paper's code).

Both evaluate the same random normal maps (80% valid pixels) image by image; peak memory is measured with
tracemalloc (numpy allocations) above the memory of the current image's inputs, which both need.

    python benchmarks/normals_metric.py            # 654 images at 60x80 (runs in seconds)
    python benchmarks/normals_metric.py --full     # 654 images at 480x640, as NYUv2's test set
                                                   # (the storing reference then needs ~5 GB)
"""
import argparse
import time
import tracemalloc

import numpy as np
import torch

from mmssl_transfer.evaluation import NormalAngularMetric
from mmssl_transfer.evaluation.functional import angular_errors

GOAL_PEAK_BYTES = 1 << 30


def images(count: int, height: int, width: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        gt = rng.normal(size=(3, height, width)).astype(np.float32)
        pred = (gt + rng.normal(scale=0.5, size=gt.shape)).astype(np.float32)
        valid = rng.random((height, width)) > 0.2
        yield pred, gt, valid


def streaming(count, height, width):
    metric = NormalAngularMetric()
    seconds = 0.0
    for pred, gt, valid in images(count, height, width):
        sample = {'pred_normal_map': {'data': torch.from_numpy(pred)}, 'gt_normal_map': {'data': torch.from_numpy(gt)},
                  'gt_sem_seg': {'data': torch.from_numpy(np.where(valid, 0, 255)[None])}}
        start = time.perf_counter()
        metric.process({}, [sample])
        seconds += time.perf_counter() - start
    start = time.perf_counter()
    result = metric.compute_metrics(metric.results)
    return result, seconds + time.perf_counter() - start


def storing(count, height, width):
    """The paper's evaluation: keep every valid angle, then mean / percentile over all of them."""
    kept, seconds = [], 0.0
    for pred, gt, valid in images(count, height, width):
        start = time.perf_counter()
        kept.append(angular_errors(pred, gt, valid))
        seconds += time.perf_counter() - start
    start = time.perf_counter()
    angles = np.concatenate(kept)
    del kept
    result = {'mean': angles.mean(), 'median': np.percentile(angles, 50),
              **{f'within_{t:g}': 100.0 * np.mean(angles < t) for t in (11.25, 22.5, 30)}}
    return result, seconds + time.perf_counter() - start


def measure(func, count, height, width):
    input_bytes = height * width * (3 * 4 * 2 + 1 + 8)  # pred, gt (float32), valid, labels of one image
    tracemalloc.start()
    result, seconds = func(count, height, width)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, seconds, max(peak - input_bytes, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--full', action='store_true', help='654 images at 480x640')
    parser.add_argument('--images', type=int, default=654)
    args = parser.parse_args()
    height, width = (480, 640) if args.full else (60, 80)
    stream_result, stream_s, stream_peak = measure(streaming, args.images, height, width)
    store_result, store_s, store_peak = measure(storing, args.images, height, width)
    print(f'{args.images} images at {height}x{width}')
    print(f'streaming: peak {stream_peak / 2**20:9.2f} MiB  time {stream_s:7.2f} s')
    print(f'storing:   peak {store_peak / 2**20:9.2f} MiB  time {store_s:7.2f} s')
    print(f'peak memory ratio storing/streaming: {store_peak / stream_peak:.1f}x')
    print(f'time ratio storing/streaming: {store_s / stream_s:.2f}')
    print(f'|median difference|: {abs(stream_result["median"] - store_result["median"]):.4f} deg; '
          f'|mean difference|: {abs(stream_result["mean"] - store_result["mean"]):.2e} deg')
    print(f'streaming peak < 1 GiB: {stream_peak < GOAL_PEAK_BYTES}')


if __name__ == '__main__':
    main()
