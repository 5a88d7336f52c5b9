"""Run a suite, then summarise what it stored: the function behind ``tools/run_suite.py``.

The one place that joins the two subsystems: :mod:`mmssl_transfer.suite` runs the cells and stores their
results, :mod:`mmssl_transfer.analysis` turns a result store into tables and a report.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rich.console import Console

from mmssl_transfer.analysis import PAPER, TOY_NOTICE, summarize_results
from mmssl_transfer.suite.commands import LAUNCHERS, RunContext
from mmssl_transfer.suite.executors import EXECUTORS, JobOptions, JobSubmitter, slurm_packer
from mmssl_transfer.suite.plan import cell_costs, load_step_times, print_plan
from mmssl_transfer.suite.runner import SuiteRunner
from mmssl_transfer.suite.scheduler import Packer
from mmssl_transfer.suite.spec import SuiteError, load_suite
from mmssl_transfer.suite.store import FAILED

from .suite_data import check_suite_data


def default_out_dir(suite_name: str) -> Path:
    """``work_dirs/suite_<name>``: where a suite writes unless told otherwise."""
    return Path('work_dirs') / f'suite_{suite_name}'


def run_suite(suite: str | Path, out: str | Path | None = None, *, gpus: int = 1, launcher: str = 'none',
              partition: str = '', max_batch_per_gpu: int | None = None, retry_failed: bool = False,
              dry_run: bool = False, summary: bool = True, skip_missing: bool = False,
              gpus_per_cell: int | None = None, max_parallel: int | None = None, plan: bool = False,
              gpu_kind: str = 'V100', executor: str = 'inline', jobs: JobOptions | None = None,
              console: Console | None = None) -> int:
    """Run (or with ``dry_run`` list) a suite, then summarise it; return 0 when every cell finished, else 1.

    When every cell that did not finish failed on bad input (its tool exited 2), a :class:`SuiteError` naming the
    first one's log and ending with its tool's (under torchrun: the failing rank's) one line is raised instead, so
    ``run_suite.py`` exits 2 with that line last, as the tool would have.

    ``gpus`` is the machine's GPUs (or CPU slots): cells are packed onto them, several at once, each on a GPU
    count its total batch splits over (:mod:`~mmssl_transfer.suite.scheduler`; ``gpus_per_cell`` and
    ``max_parallel`` cap them); each tool splits its protocol's total batch over its processes, so the numbers do
    not depend on it. With ``launcher='slurm'`` (a blocking ``srun`` per cell) ``gpus`` caps each cell's GPUs and
    cells run one at a time unless ``max_parallel``. ``max_batch_per_gpu`` caps the images a GPU holds (gradient
    accumulation).
    ``plan`` prints the suite's cost (:mod:`~mmssl_transfer.suite.plan`: GPU-hours per cell and in all, the wall
    clock under the packing on ``gpus`` GPUs of kind ``gpu_kind``, or as Slurm jobs) and runs nothing.
    ``executor`` ``'local'`` or ``'slurm'`` submits each cell as a submitit job (:mod:`~mmssl_transfer.suite.executors`,
    ``jobs`` says how) instead of running it in this process (``'inline'``): local jobs are waited for and
    summarised, Slurm jobs are left queued (``--status`` follows them). Before anything starts (and in a
    dry run), every dataset the cells read is checked
    (:func:`~.suite_data.check_suite_data`): a missing one stops the run, or with ``skip_missing`` its cells are
    left out.
    """
    console = console or Console(highlight=False)
    if launcher not in LAUNCHERS:
        raise SuiteError(f'unknown launcher {launcher!r}; use one of {LAUNCHERS}')
    if gpus < 1:
        raise SuiteError(f'--gpus must be at least 1, got {gpus}')
    if max_batch_per_gpu is not None and max_batch_per_gpu < 1:
        raise SuiteError(f'--max-batch-per-gpu must be at least 1, got {max_batch_per_gpu}')
    if launcher == 'slurm' and not partition:
        raise SuiteError('--launcher slurm needs --partition')
    if executor not in EXECUTORS:
        raise SuiteError(f'unknown executor {executor!r}; use one of {EXECUTORS}')
    if executor != 'inline':
        jobs = replace(jobs or JobOptions(executor=executor), executor=executor)
        max_parallel = min(filter(None, (max_parallel, jobs.max_jobs)), default=None)
    spec = load_suite(suite)
    out_dir = Path(out) if out is not None else default_out_dir(spec.name)
    ctx = RunContext(out_dir=out_dir.resolve(), gpus=gpus, launcher=launcher, partition=partition,
                     max_batch_per_gpu=max_batch_per_gpu)
    packer = Packer(gpus, gpus_per_cell, max_parallel or (1 if launcher == 'slurm' else None))
    planned = SuiteRunner(spec, ctx, console=console).plan(dry_run=True)  # no download, no toy world written
    if plan:
        if executor == 'slurm':  # every cell on its most GPUs, at most --max-jobs at once
            packer = slurm_packer(planned, gpus_per_cell, jobs.max_jobs)
            where = 'as Slurm jobs' + (f', at most {jobs.max_jobs} at once' if jobs.max_jobs else ' all at once')
        else:
            where = f'packed onto {gpus} {"GPU" if gpus == 1 else "GPUs"}'
        print_plan(cell_costs(planned, gpu_kind, load_step_times()), packer, console, where=where)
        return 0
    spec, _ = check_suite_data(spec, planned, skip_missing=skip_missing, console=console)
    runner = SuiteRunner(spec, ctx, retry_failed=retry_failed, console=console, packer=packer)
    if dry_run:
        runner.dry_run()
        return 0
    if executor != 'inline':
        submitted = JobSubmitter(spec, ctx, jobs, packer, console=console, retry_failed=retry_failed).submit(
            runner.prepare())
        if executor == 'slurm':
            return 0 if submitted.ok else 1
        report = runner.report(submitted.cells, list(submitted.jobs))
    else:
        report = runner.run()
    if summary and report.counts.get('done'):
        paths = summarize_results(out_dir, out_dir / 'summary', compare=None if spec.is_toy else PAPER,
                                  console=console, toy=spec.is_toy)
        console.print(f'[bold]report[/]: {paths["report"]}')
        console.print(f'tables: {paths["tables"]}  markdown: {paths["markdown"]}')
    elif summary:
        console.print('no finished cell yet: nothing to summarise')
    if spec.is_toy:
        console.print(f'[bold red]{TOY_NOTICE}[/]')
    bad_input = runner.bad_input_failure(report)
    if bad_input:  # every failed cell refused its input: the suite too, ending with the first one's line
        failed = report.counts.get(FAILED, 0)
        if failed > 1:
            console.print(f'{failed} cells failed on bad input (the table above); the first:')
        raise SuiteError(bad_input)
    return 0 if report.ok else 1
