"""Convert a self-supervised ResNet-50 release to a clean torchvision-layout file and print the load report.

    python tools/convert_checkpoint.py moco_v2_800ep_pretrain.pth.tar mocov2.pth
    python tools/convert_checkpoint.py pretrain_res50x1.pkl byol.safetensors --format safetensors
    python tools/convert_checkpoint.py mocov2 mocov2.pth          # a zoo name: download the official file first

Exit status 0 on success; 2 on bad input (missing file, not a checkpoint, truncated/corrupt, unsafe pickle,
unknown layout, missing backbone keys, shape mismatch), with ``convert_checkpoint.py: error: <file>: <reason>``.
"""
import argparse
import sys
from pathlib import Path

from mmssl_transfer.checkpoints import ZOO, convert_file, print_report
from mmssl_transfer.errors import run_tool


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='checkpoint file, http(s) URL or zoo method name')
    parser.add_argument('dst', type=Path, help='output file (.pth or .safetensors)')
    parser.add_argument('--method', default='auto', help=f'auto (detect) or one of: {", ".join(ZOO)}')
    parser.add_argument('--format', choices=('pth', 'safetensors'), default=None,
                        help='output format (default: from the DST suffix, .safetensors else pth)')
    args = parser.parse_args(argv)

    def body() -> int:
        conversion = convert_file(args.src, args.dst, method=args.method, fmt=args.format)
        print_report(conversion.report)
        print(f'wrote {args.dst}')
        return 0

    return run_tool('convert_checkpoint.py', body)


if __name__ == '__main__':
    sys.exit(main())
