"""Analysis of transfer results: the paper's tables, ours vs the published numbers, rankings, correlations with
ImageNet top-1, label-efficiency utility, figures and the HTML report.

It reads result records (:mod:`mmssl_transfer.results`) and the dataset catalog only, never the suite that
produced them, so any folder of result JSONs (or ``'paper'``) can be analysed. ``tools/summarize.py`` is a thin
front end to :func:`summarize_results`.
"""
from .formatting import TOY_NOTICE, display_frame, markdown_table, print_summary
from .report import summarize_results, write_summary
from .summary import PAPER, Summary, SummaryError, load_results, paper_results, summarize

__all__ = ['TOY_NOTICE', 'display_frame', 'markdown_table', 'print_summary', 'summarize_results', 'write_summary',
           'PAPER', 'Summary', 'SummaryError', 'load_results', 'paper_results', 'summarize']
