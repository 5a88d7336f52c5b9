"""Summarise transfer results: the paper's tables, rankings, ImageNet correlations, utility, HTML report.

    python tools/summarize.py work_dirs/suite_paper --compare paper
    python tools/summarize.py paper --out work_dirs/paper_summary   # the published numbers themselves

RESULTS is a run_suite.py output folder, any folder of result JSONs, one result JSON, or 'paper'.

A result run with a variant of the paper's protocol gets its own row, labelled 'backbone [variant]'
('[protocol unknown]' for records that do not say). --compare paper diffs only cells run with the paper's
protocol (paper_protocol true); the others are listed, marked and not diffed, and the output says which and why,
as it does for the columns whose published numbers are not comparable (ADE20K: the paper's encoder most likely
never loaded the SSL weights; finetune ECE: not computed by the paper's released code).
"""
import argparse
import sys
from pathlib import Path

from mmssl_transfer.analysis import summarize_results
from mmssl_transfer.cli import run_tool


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('results', help="results folder/file, or 'paper'")
    parser.add_argument('--out', help='output folder (default <RESULTS>/summary, or work_dirs/summary_paper)')
    parser.add_argument('--compare', choices=['paper'],
                        help='put the published numbers beside ours; only paper-protocol cells are diffed')
    parser.add_argument('--rank-variants', action='store_true',
                        help='rank every row label (each variant an entry of its own); default: one entry per '
                        "backbone, its paper-protocol row where it has one")
    parser.add_argument('--bootstrap', type=int, default=2000, help='bootstrap resamples for correlation CIs')
    args = parser.parse_args(argv)
    results = Path(args.results)
    out = args.out or (Path('work_dirs/summary_paper') if args.results == 'paper'
                       else (results.parent if results.is_file() else results) / 'summary')

    def body() -> int:
        paths = summarize_results(args.results, out, compare=args.compare, n_boot=args.bootstrap,
                                  rank_variants=args.rank_variants)
        print(f'report: {paths["report"]}')
        return 0

    return run_tool('summarize.py', body)


if __name__ == '__main__':
    sys.exit(main())
