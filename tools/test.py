"""Test a trained model on the test set; write <work_dir>/result.json (mmdet's tools/test.py arguments).

    python tools/test.py configs/det/byol_frozen_voc.py work_dirs/byol_frozen_voc/iter_18000.pth
    python tools/test.py CONFIG CHECKPOINT --data-root /data/VOCdevkit --out preds.pkl
    python tools/test.py configs/seg/byol_upernet_ade20k.py CHECKPOINT --variant single-scale
    tools/dist_test.sh CONFIG CHECKPOINT 8 [same options]

The result record (TransferResult JSON: task, dataset, protocol, protocol variant, backbone method and
checkpoint sha256, metrics) goes to <work_dir>/result.json, or to --result-file. --out also dumps the raw
predictions (.pkl). Name the --variant the model was trained with (a variant-trained model tested without it
is still recorded as that variant).
Bad input (missing file, broken annotation, unusable option) exits 2.
"""
import argparse
import os
import sys

from mmengine.config import DictAction

from mmssl_transfer.apis import load_config, test
from mmssl_transfer.cli import run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='trained model checkpoint (.pth of the whole model)')
    parser.add_argument('--work-dir', help='the dir to save logs and result.json')
    parser.add_argument('--data-root', help='dataset root; replaces every data_root of the data loaders')
    parser.add_argument('--method', help="zoo method of the backbone checkpoint (sets model.backbone.method; "
                        "'auto' detects it); needed where the file's layout does not tell the method")
    parser.add_argument('--variant', action='append', default=[], metavar='NAME',
                        help='protocol variant(s) the model was trained / is tested with '
                        '(configs/variants/<task>/NAME.py, repeatable; recorded in the result)')
    parser.add_argument('--out', help='dump raw predictions to this .pkl file')
    parser.add_argument('--result-file', help='where to write the result JSON (default <work_dir>/result.json)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value (dotted keys)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)

    def body() -> int:
        cfg = load_config(args.config, cfg_options=args.cfg_options, work_dir=args.work_dir,
                          data_root=args.data_root, method=args.method, launcher=args.launcher,
                          load_from=args.checkpoint,
                          variants=args.variant)
        result = test(cfg, out=args.out, result_file=args.result_file)
        if result is not None:
            metrics = ', '.join(f'{k}={v:.2f}' for k, v in result.metrics.items())
            print(f'{result.task}/{result.dataset}/{result.protocol} {result.method}: {metrics}')
        return 0

    return run_tool('test.py', body)


if __name__ == '__main__':
    sys.exit(main())
