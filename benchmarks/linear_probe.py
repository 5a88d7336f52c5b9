"""Linear-probe solver speed and accuracy: torch L-BFGS with warm starts vs scikit-learn, same protocol.

Both run the paper's protocol on the same synthetic features: fit every C of a 45-value grid on train, pick the
best val accuracy, refit on train+val, score test. Prints the wall-clock ratio (goal >= 20x) and both test
accuracies (goal: within 0.3 points).

    python benchmarks/linear_probe.py            # small: 1,000 x 64 features, 10 classes (< 2 min on 2 cores)
    python benchmarks/linear_probe.py --size medium   # 5,000 x 1024 features, 50 classes
    python benchmarks/linear_probe.py --full     # the issue's size: 10,000 x 2048 features, 100 classes
"""
import argparse
import time
import warnings

import numpy as np
import torch


#: name -> (samples, feature dimension, classes)
SIZES = {'small': (1000, 64, 10), 'medium': (5000, 1024, 50), 'full': (10000, 2048, 100)}


def make_features(n: int, dim: int, classes: int, seed: int = 0, noise: float = 4.0):
    """Non-negative (post-ReLU-like) class-clustered features, split 60/20/20 into train/val/test."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (classes, dim))
    labels = rng.integers(0, classes, n)
    x = np.maximum(centres[labels] + rng.normal(0, noise, (n, dim)), 0).astype(np.float32)
    a, b = int(0.6 * n), int(0.8 * n)
    return (x[:a], labels[:a]), (x[a:b], labels[a:b]), (x[b:], labels[b:])


def sklearn_protocol(train, val, test, wds, max_iter):
    from sklearn.linear_model import LogisticRegression
    best = None
    for wd in wds:
        clf = LogisticRegression(C=1 / wd, max_iter=max_iter, solver='lbfgs')
        clf.fit(*train)
        acc = (clf.predict(val[0]) == val[1]).mean() * 100
        if best is None or acc > best[0]:
            best = (acc, wd)
    clf = LogisticRegression(C=1 / best[1], max_iter=max_iter, solver='lbfgs')
    clf.fit(np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]]))
    return (clf.predict(test[0]) == test[1]).mean() * 100, best[1]


def torch_protocol(train, val, test, wds, max_iter, device):
    from mmssl_transfer.probes.features import FeatureSet
    from mmssl_transfer.probes.linear_probe import run_linear_probe
    sets = [FeatureSet(torch.from_numpy(x), torch.from_numpy(y).long()) for x, y in (train, val, test)]
    out = run_linear_probe(*sets, metric='top1', wds=tuple(wds), device=device, max_iter=max_iter,
                           calibration=False)
    return out.test_value, out.best_wd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--size', choices=sorted(SIZES), default='small',
                        help='small 1,000x64/10 classes; medium 5,000x1024/50; full 10,000x2048/100 (the issue)')
    parser.add_argument('--full', action='store_true', help='same as --size full')
    parser.add_argument('--grid-size', type=int, default=45)
    parser.add_argument('--max-iter', type=int, default=1000)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=1,
                        help='CPU threads for both solvers (torch and sklearn\'s BLAS); 1 is fastest on shared cores')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from threadpoolctl import threadpool_limits
    threadpool_limits(args.threads)
    n, dim, classes = SIZES['full' if args.full else args.size]
    train, val, test = make_features(n, dim, classes, noise=4.0 * (dim / 128) ** 0.5)  # similar difficulty
    wds = np.logspace(-6, 5, args.grid_size).tolist()
    warnings.filterwarnings('ignore')  # sklearn's ConvergenceWarning, the endpoint warning
    torch.zeros(1, device=args.device)  # device start-up is not solver time
    start = time.perf_counter()
    ours, ours_wd = torch_protocol(train, val, test, wds, args.max_iter, args.device)
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    ref, ref_wd = sklearn_protocol(train, val, test, wds, args.max_iter)
    t_ref = time.perf_counter() - start
    print(f'features {n} x {dim}, {classes} classes, {len(wds)} C values, device {args.device}, '
          f'{args.threads} CPU thread(s)')
    print(f'torch L-BFGS (warm starts): {t_ours:8.2f} s   test top-1 {ours:.2f}  (wd {ours_wd:.3g})')
    print(f'sklearn lbfgs             : {t_ref:8.2f} s   test top-1 {ref:.2f}  (wd {ref_wd:.3g})')
    print(f'speed-up {t_ref / t_ours:.1f}x (goal >= 20x); accuracy difference {ours - ref:+.2f} pt '
          f'(goal within 0.3)')


if __name__ == '__main__':
    main()
