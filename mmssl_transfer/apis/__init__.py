"""Launch-level API behind tools/train.py and tools/test.py (any mmdet/mmseg/mmpretrain config) and, in
:mod:`.suite_runs` (not imported here: train/test runs need no analysis), tools/run_suite.py."""
from mmssl_transfer import compat

from .config_loading import LaunchError, load_config, set_backbone_checkpoint, set_data_root
from .runs import RESULT_FILE, build_runner, make_result, test, train, transfer_task

compat.apply()

__all__ = ['load_config', 'set_data_root', 'set_backbone_checkpoint', 'LaunchError',
           'build_runner', 'train', 'test', 'transfer_task', 'make_result', 'RESULT_FILE']
