"""Entry points behind ``tools/run_suite.py`` and ``tools/summarize.py``."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console

from .commands import LAUNCHERS, RunContext
from .runner import SuiteRunner
from .spec import load_suite
from .summary import PAPER, load_failures, load_results, load_suite_info, print_summary, summarize
from .toyworld import TOY_NOTICE


def default_out_dir(suite_name: str) -> Path:
    return Path('work_dirs') / f'suite_{suite_name}'


def run_suite(suite: str | Path, out: str | Path | None = None, *, gpus: int = 1, launcher: str = 'none',
              partition: str = '', retry_failed: bool = False, dry_run: bool = False,
              summary: bool = True, console: Console | None = None) -> int:
    """Run (or with ``dry_run`` list) a suite, then summarise it; return 0 when every cell finished, else 1."""
    console = console or Console(highlight=False)
    if launcher not in LAUNCHERS:
        raise ValueError(f'unknown launcher {launcher!r}; use one of {LAUNCHERS}')
    if gpus < 1:
        raise ValueError(f'--gpus must be at least 1, got {gpus}')
    if launcher == 'slurm' and not partition:
        raise ValueError('--launcher slurm needs --partition')
    spec = load_suite(suite)
    out_dir = Path(out) if out is not None else default_out_dir(spec.name)
    ctx = RunContext(out_dir=out_dir.resolve(), gpus=gpus, launcher=launcher, partition=partition)
    runner = SuiteRunner(spec, ctx, retry_failed=retry_failed, console=console)
    if dry_run:
        runner.dry_run()
        return 0
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
    return 0 if report.ok else 1


def summarize_results(results: str | Path, out: str | Path, compare: str | None = None,
                      console: Console | None = None, toy: bool = False, n_boot: int = 2000) -> dict[str, Path]:
    """Summarise a result store (or ``'paper'``) into ``out``; print the tables; return the written paths."""
    from .report import write_summary

    console = console or Console(highlight=False)
    loaded = load_results(results)
    summary = summarize(loaded, source=str(results), compare=compare, n_boot=n_boot,
                        failures=load_failures(results))
    summary.toy = toy or bool(load_suite_info(results).get('toy'))
    print_summary(summary, console)
    return write_summary(summary, out)
