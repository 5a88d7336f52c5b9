"""Few-shot evaluation (prototypical networks on cached features): N-way K-shot, 15 queries, 600 episodes.

    python tools/fewshot.py --checkpoint byol.pth --dataset eurosat --shots 5 20 50 --out-dir work_dirs/fewshot
    python tools/fewshot.py ... --transform linear_eval     # variant: the linear probe's transform

The default is the paper's protocol (few_shot.py): 5-way, 15 queries, 600 episodes, images resized to 257 x 257
(aspect squashed, bilinear) and centre-cropped to 224, ChestX first resized to 256 x 256. Any other setting is a
variant, recorded in the result (hparams.variant, paper_protocol false).

Writes one TransferResult JSON per K (task 'fewshot', protocol '<N>way-<K>shot', accuracy with its 95% CI) as
<out-dir>/fewshot_<dataset>_<protocol>_<method>.json, or to --out for a single K. A K that the protocol skips
for the dataset, or that too few classes have images for, is reported on stdout and not written (with --out
and its one K skipped, the tool exits 2).
"""
import argparse
import sys

from mmssl_transfer.cli import run_tool
from mmssl_transfer.distributed import run_on_main
from mmssl_transfer.probes.cli import (add_feature_args, add_transform_arg, dataset_options_from_args,
                                       identity_from_args, init_run, resolve_base_channels)
from mmssl_transfer.probes.errors import ProbeInputError
from mmssl_transfer.probes.experiments import fewshot_results, write_results
from mmssl_transfer.results import write_result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_feature_args(parser)
    add_transform_arg(parser, 'paper_fewshot')
    out = parser.add_mutually_exclusive_group(required=True)
    out.add_argument('--out-dir', help='folder for the result JSON files (one per K)')
    out.add_argument('--out', help='result JSON path (exactly one --shots value)')
    parser.add_argument('--shots', type=int, nargs='+', help="K values (default: the dataset's, from 5 20 50)")
    parser.add_argument('--ways', type=int, default=5)
    parser.add_argument('--queries', type=int, default=15)
    parser.add_argument('--episodes', type=int, default=600)
    args = parser.parse_args(argv)

    if args.out and (not args.shots or len(args.shots) != 1):
        parser.error('--out needs exactly one --shots value (use --out-dir for several)')

    def body() -> int:
        init_run(args.launcher, args.work_dir, 'fewshot')
        identity = identity_from_args(args)
        resolve_base_channels(args, identity)
        results, skipped = fewshot_results(
            identity, args.dataset, args.cache_dir, shots=args.shots,
            n_way=args.ways, n_query=args.queries, n_episodes=args.episodes, data_root=args.data_root,
            method=args.method, base_channels=args.base_channels, transform=args.transform,
            image_size=args.image_size, stage=args.stage,
            batch_size=args.batch_size, num_workers=args.workers, device=args.device, seed=args.seed,
            dataset_options=dataset_options_from_args(args), pretraining_data=args.pretraining_data,
            feature=args.feature)
        if args.out and not results:  # the one requested K cannot be evaluated on this dataset
            raise ProbeInputError(f'{args.dataset} {args.shots[0]}-shot skipped: {skipped[args.shots[0]]}')

        def write() -> None:  # rank 0 of a distributed run (all ranks drew the same episodes)
            for k, reason in skipped.items():
                print(f'{args.dataset} {k}-shot skipped: {reason}')
            paths = [write_result(args.out, results[0])] if args.out else write_results(results, args.out_dir)
            for result, path in zip(results, paths):
                print(f'{result.dataset} {result.protocol}: {result.value:.2f} +- {result.ci["accuracy"]:.2f} '
                      f'({result.hparams["variant"]} protocol) -> {path}')
        run_on_main(write)
        return 0

    return run_tool('fewshot.py', body)


if __name__ == '__main__':
    sys.exit(main())
