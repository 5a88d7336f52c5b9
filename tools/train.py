"""Train a detection / segmentation / normals model from a config (mmdet's tools/train.py arguments).

    python tools/train.py configs/det/byol_frozen_voc.py                   # the paper's protocol
    python tools/train.py configs/det/byol_frozen_voc.py --variant bs16-linear-scaling
    python tools/train.py CONFIG --data-root /data/VOCdevkit --checkpoint /ckpt/byol.pth --work-dir WD
    tools/dist_train.sh CONFIG 8 [same options]          # torchrun, one process per GPU (CPU: gloo)
    tools/dist_train.sh configs/det/byol_frozen_voc.py 8  # total 2 on 8 GPUs: the schedule linearly scaled x4
    tools/dist_train.sh configs/det/byol_frozen_voc.py 8 --paper-only   # refuses: the paper's schedule or nothing
    tools/dist_train.sh CONFIG 8 --max-batch-per-gpu 4   # GPUs that hold 4 images: accumulate gradients

The config's default_scope (mmdet, mmseg, mmpretrain) decides which package builds the run.
The config states the protocol's total batch (transfer_task.total_batch_size, images per optimizer step over
all GPUs): each of N processes trains on total / N images per step, so 1 or N GPUs train the same protocol.
N GPUs that do not divide the total (detection's 2 on 8 GPUs) train the schedule linearly scaled by the smallest k
that makes the total divisible (batch and lr x k, iterations / k; said in one line, recorded as the variant
linear-scaling-x<k>); --paper-only refuses instead (exit 2). --max-batch-per-gpu caps the images one GPU holds
at once, the rest is gradient accumulation (same updates, same lr schedule). The test result records the split.
--data-root replaces every data_root of the data loaders; --checkpoint sets model.backbone.checkpoint
(a file or a zoo method name); --variant applies named protocol variants (configs/variants/<task>/), which
the test run must name too. Bad input (missing file, broken annotation, unusable option) exits 2.
"""
import argparse
import os
import sys

from mmengine.config import DictAction

from mmssl_transfer.apis import load_config, train
from mmssl_transfer.cli import run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--data-root', help='dataset root; replaces every data_root of the data loaders')
    parser.add_argument('--checkpoint', help='backbone checkpoint (file or zoo method name); '
                        'sets model.backbone.checkpoint')
    parser.add_argument('--method', help="zoo method of the backbone checkpoint (sets model.backbone.method; "
                        "'auto' detects it); needed where the file's layout does not tell the method")
    parser.add_argument('--variant', action='append', default=[], metavar='NAME',
                        help="a protocol variant instead of the paper's protocol (configs/variants/<task>/NAME.py; "
                        'repeat to apply several in order; recorded in the result)')
    parser.add_argument('--amp', action='store_true', help='enable automatic-mixed-precision training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the total batch size / auto_scale_lr.base_batch_size')
    parser.add_argument('--max-batch-per-gpu', type=int,
                        help='most images one GPU holds at once; the total batch is reached by gradient accumulation')
    parser.add_argument('--paper-only', action='store_true',
                        help="refuse (exit 2) instead of linearly scaling the schedule when the GPUs do not divide "
                        "the protocol's total batch")
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or (no value) from the latest one in the work dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value (dotted keys, e.g. '
                        'train_dataloader.batch_size=4 or model.backbone.frozen_stages=-1)')
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
                          data_root=args.data_root, checkpoint=args.checkpoint, method=args.method,
                          launcher=args.launcher,
                          amp=args.amp, auto_scale_lr=args.auto_scale_lr, resume=args.resume,
                          variants=args.variant)
        train(cfg, max_batch_per_gpu=args.max_batch_per_gpu, paper_only=args.paper_only)
        return 0

    return run_tool('train.py', body)


if __name__ == '__main__':
    sys.exit(main())
