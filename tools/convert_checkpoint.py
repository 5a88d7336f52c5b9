"""Convert a self-supervised ResNet-50 release to a clean torchvision-layout file and print the load report.

    python tools/convert_checkpoint.py moco_v2_800ep_pretrain.pth.tar mocov2.pth
    python tools/convert_checkpoint.py pretrain_res50x1.pkl byol.safetensors --format safetensors
    python tools/convert_checkpoint.py mocov2 mocov2.pth          # a zoo name: download the official file first
    python tools/convert_checkpoint.py --explain weights.pth      # how the format is detected, nothing written

Exit status 0 on success; 2 on bad input, with ``convert_checkpoint.py: error: <file>: <reason>`` (missing file, not a
checkpoint, truncated/corrupt, unsafe pickle, unknown layout, a layout shared by methods with different input
normalisation - pass --method -, missing backbone keys, shape mismatch). A layout that only a file name tells apart
(MoCo vs PCL, DeepCluster-v2 vs SeLa-v2, torchvision vs Barlow Twins / DINO) converts, with the method recorded as
'ambiguous: a, b' unless --method or the official file name says which.
"""
import argparse
import sys
from pathlib import Path

from mmssl_transfer.checkpoints import ZOO, convert_file, explain, print_explanation, print_report, resolve_checkpoint
from mmssl_transfer.cli import run_tool


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='checkpoint file, http(s) URL or zoo method name')
    parser.add_argument('dst', type=Path, nargs='?', help='output file (.pth or .safetensors); not with --explain')
    parser.add_argument('--method', default='auto', help=f'auto (detect) or one of: {", ".join(ZOO)}')
    parser.add_argument('--format', choices=('pth', 'safetensors'), default=None,
                        help='output format (default: from the DST suffix, .safetensors else pth)')
    parser.add_argument('--explain', action='store_true',
                        help='print how the format of SRC is detected (container, key prefixes, head keys, every zoo '
                        'row and why it matches or not) and write nothing')
    args = parser.parse_args(argv)
    if (args.dst is None) != args.explain:
        parser.error('give DST to convert, or --explain without DST')

    def body() -> int:
        if args.explain:
            print_explanation(*explain(resolve_checkpoint(args.src)))
            return 0
        conversion = convert_file(args.src, args.dst, method=args.method, fmt=args.format)
        print_report(conversion.report)
        print(f'wrote {args.dst}')
        return 0

    return run_tool('convert_checkpoint.py', body)


if __name__ == '__main__':
    sys.exit(main())
