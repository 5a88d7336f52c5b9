"""Many-shot finetune sweep over the paper's lr x wd grid, each point an mmengine run; resumes finished points.

    python tools/finetune_sweep.py --dataset aircraft --checkpoint byol.pth --work-dir work_dirs/ft/byol_aircraft
    python tools/finetune_sweep.py CONFIG --work-dir WD --labels-per-class 10          # label-efficiency point
    python tools/finetune_sweep.py CONFIG --work-dir WD --from-scratch                  # random-init baseline
    python tools/finetune_sweep.py --dataset dtd --checkpoint byol.pth --method byol --work-dir WD --out R.json
    python tools/finetune_sweep.py ... --search-augmentation       # variant: also select the augmentation on val
    torchrun --nproc_per_node 8 tools/finetune_sweep.py CONFIG --work-dir WD --launcher pytorch

Default = the paper's finetune.py: lr 0.1 0.01 0.001 0.0001 x wd 0 1e-6 1e-5 1e-4 1e-3 (20 points, SGD
weight_decay = wd / lr), training augmentation RandomResizedCrop(224, bicubic) + flip (--no-da: resize + centre
crop), 5000 steps at a total batch of 64 on any number of GPUs, nn.Linear's default head init; select on val,
retrain on train+val from the pretrained weights, test. Anything else is a variant, named in the result
(hparams.variant, paper_protocol false). Writes <work-dir>/result.json (TransferResult, task 'finetune', with ECE
before/after temperature scaling and the val grid).

The batch is the protocol's total (images per optimizer step over all GPUs): N processes train on total / N
images each, so 1 or N GPUs run the same protocol (a total N does not divide is refused); --max-batch-per-gpu
accumulates gradients on GPUs that hold fewer images. The result records the split.
"""
import argparse
import sys

from mmengine.config import DictAction

from mmssl_transfer.cli import run_tool
from mmssl_transfer.datasets.catalog import ALL_MANY_SHOT_DATASETS
from mmssl_transfer.distributed import LAUNCHERS, run_on_main
from mmssl_transfer.probes.finetune import OPTIMIZERS, SweepOptions, finetune_config, finetune_sweep
from mmssl_transfer.results import write_result
from mmssl_transfer.tasks import FINETUNE_WDS, HEAD_INITS, LR_GRID


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', nargs='?', help='a finetune config, e.g. one inheriting '
                        'configs/_base_/cls/finetune_<dataset>.py (or give --dataset and --checkpoint)')
    parser.add_argument('--dataset', choices=sorted(ALL_MANY_SHOT_DATASETS),
                        help='use configs/_base_/cls/finetune_<dataset>.py (with --checkpoint / --from-scratch)')
    parser.add_argument('--out', help='also write the result JSON here')
    parser.add_argument('--work-dir', required=True, help='sweep folder (one sub-folder per grid point)')
    parser.add_argument('--lrs', type=float, nargs='+', default=list(LR_GRID),
                        help="learning rates (default: the paper's 4; another grid is a variant)")
    parser.add_argument('--wds', type=float, nargs='+', default=list(FINETUNE_WDS),
                        help="weight decays, SGD gets wd / lr (default: the paper's 5; another grid is a variant)")
    aug = parser.add_mutually_exclusive_group()
    aug.add_argument('--no-da', action='store_true',
                     help="train without augmentation (resize + centre crop), the paper's --no-da flag")
    aug.add_argument('--search-augmentation', action='store_true',
                     help='variant: train every grid point with and without augmentation and select it on val '
                          '(40 points; the paper keeps augmentation fixed)')
    parser.add_argument('--head-init', choices=sorted(HEAD_INITS), default='paper',
                        help="linear head init: 'paper' (nn.Linear's default, the paper's) or 'normal' "
                             "(mmpretrain's Normal(std=0.01), a variant)")
    parser.add_argument('--optimizer', choices=sorted(OPTIMIZERS), default='paper',
                        help="the paper's SGD (default) or AdamW with layer-wise lr decay 0.65 (MAE's ViT recipe; "
                             'a named variant)')
    parser.add_argument('--max-iters', type=int, help='training steps (default: the config, 5000)')
    parser.add_argument('--batch-size', type=int,
                        help='total batch per optimizer step over all GPUs (default: the config\'s '
                             'transfer_task.total_batch_size, 64); the launcher splits it per GPU')
    parser.add_argument('--max-batch-per-gpu', type=int,
                        help='most images one GPU holds at once; the total is reached by gradient accumulation')
    parser.add_argument('--image-size', type=int, help='train crop / test resize+crop (default 224)')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--checkpoint', help='backbone checkpoint file (replaces the config\'s)')
    group.add_argument('--from-scratch', action='store_true', help='random initialisation (no checkpoint)')
    parser.add_argument('--method', help='zoo method of --checkpoint (default: the config\'s)')
    parser.add_argument('--base-channels', type=int, help='backbone width (toy checkpoints: 8)')
    parser.add_argument('--pretraining-data',
                        help='what the backbone was pretrained on, recorded in the result (default: the zoo '
                        'row\'s, imagenet-1k; "unknown" for a backbone outside the zoo)')
    parser.add_argument('--data-root', help='dataset folder (replaces the config\'s)')
    subset = parser.add_mutually_exclusive_group()
    subset.add_argument('--labels-per-class', type=int, help='train on this many labelled images per class')
    subset.add_argument('--label-fraction', type=float, help='train on this fraction of each class')
    parser.add_argument('--subset-seed', type=int, default=0)
    parser.add_argument('--workers', type=int, help='data loading workers per loader')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none',
                        help='distributed launcher (torchrun: pytorch); the result equals a one-process run\'s')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='extra config overrides, key=value')
    args = parser.parse_args(argv)
    if (args.config is None) == (args.dataset is None):
        parser.error('give a config or --dataset (not both)')
    if args.dataset and not (args.checkpoint or args.from_scratch):
        parser.error('--dataset needs --checkpoint or --from-scratch')
    opts = SweepOptions(
        config=args.config or finetune_config(args.dataset), work_dir=args.work_dir, lrs=args.lrs, wds=args.wds,
        augmentation='center_crop' if args.no_da else 'rrc_flip', search_augmentation=args.search_augmentation,
        head_init=args.head_init, max_iters=args.max_iters, batch_size=args.batch_size,
        max_batch_per_gpu=args.max_batch_per_gpu,
        image_size=args.image_size,
        checkpoint=args.checkpoint, method=args.method, from_scratch=args.from_scratch,
        base_channels=args.base_channels, data_root=args.data_root, labels_per_class=args.labels_per_class,
        label_fraction=args.label_fraction, subset_seed=args.subset_seed, num_workers=args.workers,
        launcher=args.launcher, seed=args.seed, cfg_options=dict(args.cfg_options),
        pretraining_data=args.pretraining_data, optimizer=args.optimizer)

    def body() -> int:
        result = finetune_sweep(opts)

        def write() -> None:  # rank 0 of a distributed run
            if args.out:
                write_result(args.out, result)
            print(f'{result.dataset} {result.protocol} {result.primary_metric} = {result.value:.2f} '
                  f'(lr={result.hparams["lr"]:g}, wd={result.hparams["wd"]:g}, aug={result.hparams["aug"]}; '
                  f'{result.hparams["variant"]} protocol) -> {args.work_dir}/result.json')
        run_on_main(write)
        return 0

    return run_tool('finetune_sweep.py', body)


if __name__ == '__main__':
    sys.exit(main())
