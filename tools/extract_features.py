"""Extract (and cache) frozen-backbone features of recognition dataset splits.

    python tools/extract_features.py --checkpoint byol.pth --dataset dtd --splits train val test
    torchrun --nproc_per_node 8 tools/extract_features.py --launcher pytorch --checkpoint ... --dataset food
    python tools/extract_features.py ... --transform paper_fewshot --splits trainval test   # the few-shot pool

With N processes each extracts a share of whole batches; rank 0 writes the same cache entries, bit for bit, as
one process does.

Features are cached under --cache-dir keyed by checkpoint sha256, dataset, split, transform and layer; the
linear-probe and few-shot tools read the same cache, so a second run never runs the backbone.
"""
import argparse
import sys

from mmssl_transfer.cli import run_tool
from mmssl_transfer.distributed import is_main
from mmssl_transfer.probes.cli import (add_feature_args, add_transform_arg, dataset_options_from_args,
                                       identity_from_args, init_run, resolve_base_channels, spec_from_args)
from mmssl_transfer.probes.features import cached_features


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_feature_args(parser)
    add_transform_arg(parser, 'linear_eval')
    parser.add_argument('--splits', nargs='+', default=['train', 'val', 'test'],
                        help='splits to extract (train val trainval test all)')
    args = parser.parse_args(argv)

    def body() -> int:
        init_run(args.launcher, args.work_dir, 'extract_features')
        identity = identity_from_args(args)  # resolved, hashed and converted at most once for every split
        resolve_base_channels(args, identity)
        for split in args.splits:
            fs = cached_features(args.cache_dir, identity, args.dataset,
                                 split, data_root=args.data_root, method=args.method,
                                 base_channels=args.base_channels, spec=spec_from_args(args),
                                 batch_size=args.batch_size, num_workers=args.workers, device=args.device,
                                 seed=args.seed, dataset_kwargs=dataset_options_from_args(args))
            if is_main():
                print(f'{args.dataset} {split}: {tuple(fs.features.shape)} features')
        return 0

    return run_tool('extract_features.py', body)


if __name__ == '__main__':
    sys.exit(main())
