"""Linear-probe solver speed and agreement with scikit-learn, for both protocols, on the same synthetic features.

* ``paper``: our paper protocol (torch objective, scipy L-BFGS-B, float64) against the installed scikit-learn's
  lbfgs at the paper's settings: one ``LogisticRegression(warm_start=True, max_iter=100)`` reused over the
  45-value grid in the paper's order (C from 1e6 down to 1e-5), the first best val accuracy, the train+val refit
  from the last fit. The installed sklearn (>= 1.1) minimises the *mean* objective, so its ``tol`` is set to
  ``1e-4 / N``: the paper's sklearn 0.22.2 test ``gtol=1e-4`` on the gradient of the *summed* objective.
* ``converged``: our converged protocol against scikit-learn run to convergence (``tol=1e-6`` on its per-sample
  gradient, our tolerance, ``max_iter=10000``), each fit warm-started from the next larger wd.

Prints, per protocol, both wall-clock times, the speed ratio (sklearn time / ours), the selected C and test
accuracies, and how many fits hit their iteration cap.

    python benchmarks/linear_probe.py                  # small: 2,500 x 256 features, 20 classes (~1 min, 2 cores)
    python benchmarks/linear_probe.py --size tiny      # 1,000 x 64 features, 10 classes (seconds)
    python benchmarks/linear_probe.py --size medium    # 5,000 x 512 features, 50 classes
    python benchmarks/linear_probe.py --size full      # 10,000 x 2048 features, 100 classes (a GPU run)
"""
import argparse
import time
import warnings

import numpy as np
import torch

#: name -> (samples, feature dimension, classes)
SIZES = {'tiny': (1000, 64, 10), 'small': (2500, 256, 20), 'medium': (5000, 512, 50), 'full': (10000, 2048, 100)}


def make_features(n: int, dim: int, classes: int, seed: int = 0, noise: float = 4.0):
    """Non-negative (post-ReLU-like) class-clustered features, split 60/20/20 into train/val/test."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (classes, dim))
    labels = rng.integers(0, classes, n)
    x = np.maximum(centres[labels] + rng.normal(0, noise, (n, dim)), 0).astype(np.float32)
    a, b = int(0.6 * n), int(0.8 * n)
    return (x[:a], labels[:a]), (x[a:b], labels[a:b]), (x[b:], labels[b:])


def _accuracy(clf, split) -> float:
    return float((clf.predict(split[0].astype(np.float64)) == split[1]).mean() * 100)


def sklearn_paper(train, val, test, wds):
    """The paper's linear.py L157-177 with the installed sklearn at 0.22.2's stopping test."""
    from sklearn.linear_model import LogisticRegression
    x_train = train[0].astype(np.float64)
    clf = LogisticRegression(warm_start=True, max_iter=100, tol=1e-4 / len(train[1]))
    best, best_c, capped = 0.0, None, 0
    for wd in wds:
        clf.set_params(C=1.0 / wd).fit(x_train, train[1])
        capped += int(clf.n_iter_.max() >= 100)
        score = _accuracy(clf, val)
        if score > best:
            best, best_c = score, 1.0 / wd
    trainval = np.concatenate([train[0], val[0]]).astype(np.float64), np.concatenate([train[1], val[1]])
    clf.set_params(C=best_c, tol=1e-4 / len(trainval[1])).fit(*trainval)
    capped += int(clf.n_iter_.max() >= 100)
    return _accuracy(clf, test), best_c, capped


def sklearn_converged(train, val, test, wds, tol=1e-6, max_iter=10000):
    """sklearn to convergence; warm starts from the next larger wd (the solutions grow with C)."""
    from sklearn.linear_model import LogisticRegression
    x_train = train[0].astype(np.float64)
    clf = LogisticRegression(warm_start=True, max_iter=max_iter, tol=tol)
    scores, capped = {}, 0
    for wd in sorted(wds, reverse=True):
        clf.set_params(C=1.0 / wd).fit(x_train, train[1])
        capped += int(clf.n_iter_.max() >= max_iter)
        scores[wd] = _accuracy(clf, val)
    best_wd = next(wd for wd in wds if scores[wd] == max(scores.values()))  # first best in the paper's order
    trainval = np.concatenate([train[0], val[0]]).astype(np.float64), np.concatenate([train[1], val[1]])
    refit = LogisticRegression(max_iter=max_iter, tol=tol, C=1.0 / best_wd).fit(*trainval)
    capped += int(refit.n_iter_.max() >= max_iter)
    return _accuracy(refit, test), 1.0 / best_wd, capped


def ours(train, val, test, wds, protocol, device):
    from mmssl_transfer.probes.features import FeatureSet
    from mmssl_transfer.probes.linear_probe import run_linear_probe  # imported (untimed) in main
    sets = [FeatureSet(torch.from_numpy(x), torch.from_numpy(y).long()) for x, y in (train, val, test)]
    out = run_linear_probe(*sets, metric='top1', protocol=protocol, wds=tuple(wds), device=device,
                           calibration=False)
    return out.test_value, out.best_c, out.solver['fits_at_max_iter'] + out.solver['fits_stalled']


def _timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--size', choices=sorted(SIZES), default='small',
                        help='tiny 1,000x64/10 classes; small 2,500x256/20; medium 5,000x512/50; '
                             'full 10,000x2048/100')
    parser.add_argument('--grid-size', type=int, default=45)
    parser.add_argument('--protocols', nargs='+', choices=['paper', 'converged'], default=['paper', 'converged'])
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=1,
                        help="CPU threads for both solvers (torch and sklearn's BLAS); 1 is fastest on shared cores")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from threadpoolctl import threadpool_limits
    threadpool_limits(args.threads)
    n, dim, classes = SIZES[args.size]
    train, val, test = make_features(n, dim, classes, noise=4.0 * (dim / 128) ** 0.5)  # similar difficulty
    wds = torch.logspace(-6, 5, args.grid_size).tolist()  # the paper's grid (linear.py L129)
    warnings.filterwarnings('ignore')  # sklearn's ConvergenceWarning, the endpoint warning
    torch.zeros(1, device=args.device)  # device start-up and imports are not solver time
    import sklearn.linear_model  # noqa: F401

    import mmssl_transfer.probes.linear_probe  # noqa: F401
    print(f'features {n} x {dim}, {classes} classes, {len(wds)} C values, device {args.device}, '
          f'{args.threads} CPU thread(s)')
    references = {'paper': ('sklearn lbfgs, max_iter=100, warm path', sklearn_paper),
                  'converged': ('sklearn lbfgs to tol 1e-6', sklearn_converged)}
    for protocol in args.protocols:
        label, reference = references[protocol]
        t_ours, (acc, c, stuck) = _timed(ours, train, val, test, wds, protocol, args.device)
        t_ref, (ref_acc, ref_c, ref_stuck) = _timed(reference, train, val, test, wds)
        print(f'[{protocol}] ours ({protocol} protocol)    : {t_ours:8.2f} s  test top-1 {acc:6.2f}  C {c:9.3g}  '
              f'fits capped/stalled {stuck}')
        print(f'[{protocol}] {label:<32}: {t_ref:8.2f} s  test top-1 {ref_acc:6.2f}  C {ref_c:9.3g}  '
              f'fits capped {ref_stuck}')
        print(f'[{protocol}] speed ratio (sklearn / ours) {t_ref / t_ours:.2f}x; test top-1 difference '
              f'{acc - ref_acc:+.2f} pt; same C: {np.isclose(c, ref_c)}')


if __name__ == '__main__':
    main()
