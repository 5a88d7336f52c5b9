"""The suite's feature_properties task: one cell per recognition dataset, calling tools/feature_properties.py."""
from pathlib import Path

from mmssl_transfer.suite import expand, load_suite
from mmssl_transfer.suite.commands import RunContext, build_steps

from tests.test_suite.suite_helpers import write_suite


def test_feature_property_cells_run_the_tool_on_their_dataset_at_the_papers_settings(tmp_path, two_checkpoints):
    data = {'backbones': [{'name': 'b', 'method': 'byol', 'checkpoint': str(two_checkpoints['byol'])}],
            'data_roots': {'dtd': 'data/dtd', 'eurosat': 'data/eurosat'},
            'tasks': [{'kind': 'feature_properties', 'datasets': ['dtd', 'eurosat']}]}
    cells = expand(load_suite(write_suite(tmp_path, data)))
    assert [(c.dataset, c.protocol) for c in cells] == [('dtd', 'paper'), ('eurosat', 'paper')]
    step, = build_steps(RunContext(out_dir=tmp_path), cells[0])
    argv = step.resolve()
    assert Path(argv[1]).name == 'feature_properties.py'
    assert argv[argv.index('--dataset') + 1] == 'dtd'  # the row's option list: one dataset and its folder
    assert argv[argv.index('--data-root') + 1].endswith('data/dtd')
    assert argv[argv.index('--checkpoint') + 1] == str(two_checkpoints['byol'])
    assert not any(a in argv for a in ('--max-iter', '--stride', '--lpips-trunks'))  # the paper's defaults
    default = expand(load_suite(write_suite(tmp_path, {**data, 'tasks': [{'kind': 'feature_properties'}]},
                                            name='all.yaml')))
    assert len(default) == 15
    step, = build_steps(RunContext(out_dir=tmp_path, gpus=2), cells[0])  # images sharded over the processes
    assert step.argv[1:4] == ['-m', 'mmssl_transfer.torchrun', '--nproc_per_node=2']
    assert step.argv[-2:] == ['--launcher', 'pytorch']
