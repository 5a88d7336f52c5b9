"""The transfer suite: run matrix (backbones x tasks), commands, runner and result store.

It runs cells and stores their result records; analysing them is :mod:`mmssl_transfer.analysis`'s job.
``tools/run_suite.py`` is a thin front end to :func:`mmssl_transfer.apis.suite_runs.run_suite`, which runs a
suite and then summarises it.
"""
from mmssl_transfer.tasks import TASKS, Probe, TrainTest

from .matrix import Cell, expand
from .spec import BackboneSpec, SuiteError, SuiteSpec, SuiteTask, load_suite, shipped_suites
from .store import ResultStore, StoreError

__all__ = ['TASKS', 'Probe', 'TrainTest', 'Cell', 'expand', 'BackboneSpec', 'SuiteError', 'SuiteSpec',
           'SuiteTask', 'load_suite', 'shipped_suites', 'ResultStore', 'StoreError']
