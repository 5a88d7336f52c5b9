"""Many-shot linear probe: logistic regression over 45 C values, select on val, refit on train+val, report test.

    python tools/linear_probe.py --checkpoint byol.pth --dataset aircraft --out work_dirs/linear/byol_aircraft.json
    python tools/linear_probe.py ... --protocol converged   # the same objective solved to convergence
    python tools/linear_probe.py ... --paper-c              # the C the paper chose for this method, no sweep
    python tools/linear_probe.py ... --C 0.1                # a given C, no sweep

The default protocol is the paper's (sklearn 0.22.2 lbfgs, 100 iterations, warm-started path). Writes one
TransferResult JSON (task 'linear', protocol 'paper' or 'converged'): the dataset metric on test, ECE before and
after temperature scaling, the chosen C / wd and how it was chosen (C_mode), the val curve, how many fits hit
the iteration cap, and a warning when the chosen C is an endpoint of the grid.
"""
import argparse
import sys

from mmssl_transfer.cli import run_tool
from mmssl_transfer.distributed import run_on_main
from mmssl_transfer.probes.cli import (add_feature_args, dataset_options_from_args, identity_from_args, init_run,
                                       resolve_base_channels, spec_from_args)
from mmssl_transfer.probes.experiments import linear_probe_result
from mmssl_transfer.probes.linear_probe import LINEAR_PROTOCOLS
from mmssl_transfer.results import write_result
from mmssl_transfer.tasks import linear_wd_grid


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_feature_args(parser)
    parser.add_argument('--out', required=True, help='result JSON path')
    parser.add_argument('--protocol', choices=sorted(LINEAR_PROTOCOLS), default='paper',
                        help="'paper' (default): the paper's solver and path; 'converged': solved to convergence")
    fixed = parser.add_mutually_exclusive_group()
    fixed.add_argument('--C', type=float, help='fit this C on train+val instead of sweeping the grid')
    fixed.add_argument('--paper-c', action='store_true',
                       help="fit the C the paper selected for the checkpoint's method on this dataset")
    parser.add_argument('--max-iter', type=int, help="solver iterations per fit (default: the protocol's)")
    parser.add_argument('--grid-size', type=int, default=45, help='number of log-spaced wd in [1e-6, 1e5]')
    args = parser.parse_args(argv)

    def body() -> int:
        init_run(args.launcher, args.work_dir, 'linear_probe')
        identity = identity_from_args(args)
        resolve_base_channels(args, identity)
        wds = linear_wd_grid(args.grid_size)
        result = linear_probe_result(
            identity, args.dataset, args.cache_dir, data_root=args.data_root,
            method=args.method, base_channels=args.base_channels, spec=spec_from_args(args),
            batch_size=args.batch_size, num_workers=args.workers, device=args.device, wds=wds,
            max_iter=args.max_iter, seed=args.seed, protocol=args.protocol, c=args.C, paper_c=args.paper_c,
            dataset_options=dataset_options_from_args(args), pretraining_data=args.pretraining_data,
            feature=args.feature)

        def write() -> None:  # rank 0 of a distributed run (all ranks computed the same result)
            write_result(args.out, result)
            # what the record says: the paper's protocol only when paper_protocol is true, else the variant
            ran = 'paper protocol' if result.paper_protocol else f'variant {result.hparams.get("variant")}'
            print(f'{result.dataset} linear {result.primary_metric} = {result.value:.2f} ({ran}; '
                  f'{result.protocol} solver, C={result.hparams["C"]:.3g} by {result.hparams["C_mode"]}) -> {args.out}')
        run_on_main(write)
        return 0

    return run_tool('linear_probe.py', body)


if __name__ == '__main__':
    sys.exit(main())
