"""Get the data: where each dataset comes from, download or unpack it into the layout the readers expect, check it.

    python tools/prepare_data.py dtd                          # where it comes from, its layout, its state
    python tools/prepare_data.py dtd --download               # torchvision's downloader + md5, into data/dtd
    python tools/prepare_data.py caltech101 --download        # images + the paper's split files (sha256)
    python tools/prepare_data.py cars --from-archive stanford-cars-dataset.zip --root /data/cars
    python tools/prepare_data.py dtd --check --decode 50      # readable? the official counts? 50 images decoded
    python tools/prepare_data.py all --check --root data/     # one table for every dataset
    python tools/prepare_data.py all --check --root toy/ --any-counts   # a toy world: readable is enough

DATASET is a name of the catalog (mmssl_transfer/datasets/catalog.py) or 'all'. --root is the
dataset's folder (default: its data/... folder); with 'all', the folder holding them (default data/). The check
fails (exit 1) unless the folder is the complete official copy (--any-counts: unless the readers can read it).
"""
import argparse
import sys

from mmssl_transfer.cli import run_tool
from mmssl_transfer.datasets.catalog import DATA_ROOTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('dataset', choices=[*DATA_ROOTS, 'all'], metavar='DATASET',
                        help=f'one of: {", ".join(DATA_ROOTS)}, or all')
    parser.add_argument('--root', help="the dataset's folder (default: its data/... folder); with all: data/")
    action = parser.add_mutually_exclusive_group()
    action.add_argument('--download', action='store_true', help='fetch it (datasets with a public source)')
    action.add_argument('--from-archive', nargs='+', metavar='FILE', default=(),
                        help='unpack archives (or files) downloaded by hand into the layout')
    parser.add_argument('--check', action='store_true', help='check the folder (done after every action too)')
    parser.add_argument('--any-counts', action='store_true',
                        help='pass a readable folder whose counts are not the official ones (toy world, subset)')
    parser.add_argument('--decode', type=int, default=0, metavar='N', help='decode N images spread over the data')
    args = parser.parse_args(argv)

    def body() -> int:
        from mmssl_transfer.datasets.preparation.tool import prepare_data
        return prepare_data(args.dataset, args.root, download=args.download, from_archive=args.from_archive,
                            check=args.check, any_counts=args.any_counts, decode=args.decode)

    return run_tool('prepare_data.py', body)


if __name__ == '__main__':
    sys.exit(main())
