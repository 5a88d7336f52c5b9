"""Write the toy world: tiny datasets and checkpoints in their real on-disk formats.

    python tools/make_toy_data.py OUT                      # everything
    python tools/make_toy_data.py OUT --checkpoints --voc  # some kinds only
"""
import argparse
import sys
from pathlib import Path

from mmssl_transfer.cli import run_tool
from mmssl_transfer.toy import TOY_GENERATORS, make_toy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', type=Path, help='output folder (created)')
    for kind in TOY_GENERATORS:
        parser.add_argument(f'--{kind}', action='store_true', help=f'write toy {kind}')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    kinds = [k for k in TOY_GENERATORS if getattr(args, k)] or list(TOY_GENERATORS)

    def body() -> int:
        for kind in kinds:
            folder = make_toy(kind, args.out, seed=args.seed)
            print(f'toy {kind}: {folder}')
        print('note: toy data exercise the code paths; numbers computed on them mean nothing.')
        return 0

    return run_tool('make_toy_data.py', body)


if __name__ == '__main__':
    sys.exit(main())
