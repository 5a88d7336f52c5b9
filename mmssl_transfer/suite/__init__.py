"""The transfer suite: run matrix (backbones x tasks), result store, summary tables, analysis and report.

``tools/run_suite.py`` and ``tools/summarize.py`` are thin front ends to :func:`run_suite` and
:func:`summarize_results`.
"""
from .api import run_suite, summarize_results
from .kinds import KINDS, CellKind, Probe, TrainTest
from .matrix import Cell, expand
from .spec import BackboneSpec, SuiteError, SuiteSpec, TaskSpec, load_suite, shipped_suites
from .store import ResultStore, StoreError
from .summary import Summary, SummaryError, load_results, summarize

__all__ = ['run_suite', 'summarize_results', 'KINDS', 'CellKind', 'Probe', 'TrainTest', 'Cell', 'expand',
           'BackboneSpec', 'SuiteError', 'SuiteSpec', 'TaskSpec', 'load_suite', 'shipped_suites', 'ResultStore',
           'StoreError', 'Summary', 'SummaryError', 'load_results', 'summarize']
