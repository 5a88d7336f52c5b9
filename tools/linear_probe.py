"""Many-shot linear probe: L-BFGS logistic regression over 45 C values, select on val, refit, report test.

    python tools/linear_probe.py --checkpoint byol.pth --dataset aircraft --out work_dirs/linear/byol_aircraft.json

Writes one TransferResult JSON (task 'linear'): the dataset metric on test, ECE before/after temperature
scaling, the chosen C / wd, the whole val curve, and a warning when the chosen C is an endpoint of the grid.
"""
import argparse
import sys

from mmssl_transfer.errors import run_tool
from mmssl_transfer.probes.cli import add_feature_args, init_run, spec_from_args
from mmssl_transfer.probes.experiments import linear_probe_result
from mmssl_transfer.results import write_result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_feature_args(parser)
    parser.add_argument('--out', required=True, help='result JSON path')
    parser.add_argument('--max-iter', type=int, default=1000, help='L-BFGS iterations per C')
    parser.add_argument('--grid-size', type=int, default=45, help='number of log-spaced wd in [1e-6, 1e5]')
    args = parser.parse_args(argv)

    def body() -> int:
        import numpy as np
        init_run(args.launcher, args.work_dir, 'linear_probe')
        wds = tuple(np.logspace(-6, 5, args.grid_size).tolist())
        result = linear_probe_result(
            None if args.from_scratch else args.checkpoint, args.dataset, args.cache_dir, data_root=args.data_root,
            method=args.method, base_channels=args.base_channels, spec=spec_from_args(args),
            batch_size=args.batch_size, num_workers=args.workers, device=args.device, wds=wds,
            max_iter=args.max_iter, seed=args.seed)
        write_result(args.out, result)
        print(f'{result.dataset} linear {result.primary_metric} = {result.value:.2f} '
              f'(C={result.hparams["C"]:.3g}) -> {args.out}')
        return 0

    return run_tool('linear_probe.py', body)


if __name__ == '__main__':
    sys.exit(main())
