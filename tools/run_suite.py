"""Run a transfer suite: backbones x tasks, resumable, then summarise it.

    python tools/run_suite.py demo                       # the toy world on CPU, in minutes
    python tools/run_suite.py paper --gpus 8             # the paper's benchmark, cells packed onto 8 GPUs
    python tools/run_suite.py paper --gpus 8 --gpus-per-cell 2 --max-parallel 4
    python tools/run_suite.py paper --gpus 8 --max-batch-per-gpu 8   # GPUs that hold 8 images: accumulate
    python tools/run_suite.py paper --executor slurm --partition gpu --time 24 --max-jobs 64
                                                         # one Slurm job per cell (submitit), requeued on preemption
    python tools/run_suite.py demo --executor local --gpus 2   # the same jobs as local processes (submitit)
    python tools/run_suite.py paper --plan --executor slurm --partition gpu --max-jobs 64
    python tools/run_suite.py my_suite.yaml --out work_dirs/mine --retry-failed
    python tools/run_suite.py quick --dry-run            # check the data, list cells, their state and commands
    python tools/run_suite.py paper --skip-missing       # run the cells whose datasets are there
    python tools/run_suite.py paper --plan --gpus 8      # GPU-hours per cell and in all, wall clock on 8 GPUs
    python tools/run_suite.py paper --status             # queued / running / done / failed cells, from the store
    python tools/run_suite.py paper --cancel             # stop the running cells (they resume), scancel their jobs

SUITE is a shipped suite (paper, quick, demo) or a path to a suite YAML file. Re-running skips finished cells.
Before anything starts, every dataset the cells read is checked (as tools/prepare_data.py DATASET --check does):
a missing or unreadable one stops the run with the command that fixes it, unless --skip-missing.
--gpus N is the machine's GPUs (CPU slots without CUDA): cells run side by side, each with its own
CUDA_VISIBLE_DEVICES and torchrun --standalone, on the most GPUs it can use when alone and fewer while others wait,
never on a count its total batch does not split over (detection 1 or 2, ADE20K 1, 2 or 4, finetune 1, 2, 4 or 8,
probes 1). Each protocol's total batch is split over a cell's processes, so the numbers are those of one GPU.
--executor slurm submits one job per cell through submitit (the cell's GPUs on one node, one task running the
cell's own launcher); a preempted or timed-out job is requeued and resumes its cell. --executor local runs the same
jobs as local processes packed onto --gpus. The store records each cell's job; --status shows them (with sacct's
state), --cancel cancels them.
"""
import argparse
import sys
from pathlib import Path

from rich.console import Console

from mmssl_transfer.apis.suite_runs import default_out_dir, run_suite
from mmssl_transfer.cli import run_tool
from mmssl_transfer.suite.executors import EXECUTORS, JobOptions
from mmssl_transfer.suite.spec import load_suite
from mmssl_transfer.suite.status import cancel, print_status


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('suite', help='shipped suite name or suite YAML path')
    parser.add_argument('--out', help='output folder (default work_dirs/suite_<name>)')
    parser.add_argument('--gpus', type=int, default=1,
                        help='GPUs of the machine (CPU slots without CUDA) the cells are packed onto')
    parser.add_argument('--gpus-per-cell', type=int, help='most GPUs any one cell gets')
    parser.add_argument('--max-parallel', type=int, help='most cells running at once')
    parser.add_argument('--max-batch-per-gpu', type=int,
                        help='most images one GPU holds at once (training cells accumulate gradients)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    parser.add_argument('--partition', default='', help='Slurm partition (--executor slurm, --launcher slurm)')
    parser.add_argument('--executor', choices=EXECUTORS, default='inline',
                        help='inline: cells run in this process (default); slurm / local: one submitit job per cell')
    parser.add_argument('--account', help='Slurm account (--executor slurm)')
    parser.add_argument('--qos', help='Slurm quality of service (--executor slurm)')
    parser.add_argument('--time', type=float, default=24.0,
                        help='time limit of each job in hours (default 24); a longer cell is requeued and resumes')
    parser.add_argument('--max-jobs', type=int, help='most jobs queued or running at once (--executor slurm|local)')
    parser.add_argument('--cpus-per-gpu', type=int, default=8, help="CPUs of a Slurm job per GPU (default 8)")
    parser.add_argument('--retry-failed', action='store_true', help='rerun cells that failed before')
    parser.add_argument('--dry-run', action='store_true', help='list the cells and commands, run nothing')
    parser.add_argument('--no-summary', action='store_true', help='do not summarise after running')
    parser.add_argument('--skip-missing', action='store_true',
                        help='leave out the cells of missing or unreadable datasets instead of stopping')
    parser.add_argument('--plan', action='store_true',
                        help="print each cell's GPU-hours, the total and the packed wall clock; run nothing")
    parser.add_argument('--gpu-kind', default='V100', help='GPU kind the plan prices (benchmarks/step_times.json)')
    parser.add_argument('--status', action='store_true', help="print the state of the store's cells, run nothing")
    parser.add_argument('--cancel', action='store_true', help="stop the runners of the store's running cells")
    args = parser.parse_args(argv)

    def body() -> int:
        jobs = None if args.executor == 'inline' else JobOptions(
            executor=args.executor, partition=args.partition, account=args.account, qos=args.qos, hours=args.time,
            max_jobs=args.max_jobs, cpus_per_gpu=args.cpus_per_gpu)
        if args.status or args.cancel:
            out = Path(args.out) if args.out else default_out_dir(load_suite(args.suite).name)
            (cancel if args.cancel else print_status)(out, Console(highlight=False))
            return 0
        return run_suite(args.suite, args.out, gpus=args.gpus, launcher=args.launcher, partition=args.partition,
                         max_batch_per_gpu=args.max_batch_per_gpu, retry_failed=args.retry_failed,
                         dry_run=args.dry_run, summary=not args.no_summary, skip_missing=args.skip_missing,
                         gpus_per_cell=args.gpus_per_cell, max_parallel=args.max_parallel, plan=args.plan,
                         gpu_kind=args.gpu_kind, executor=args.executor, jobs=jobs)

    return run_tool('run_suite.py', body, interrupted_hint='run the same command again to resume')


if __name__ == '__main__':
    sys.exit(main())
