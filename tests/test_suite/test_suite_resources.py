"""Every cell states its resources from its task's row: the GPU counts its total batch allows, its memory class,
and whether it reads features another cell extracts."""
from pathlib import Path

from mmssl_transfer.suite.commands import RunContext
from mmssl_transfer.suite.runner import SuiteRunner
from mmssl_transfer.suite.spec import load_suite
from mmssl_transfer.tasks import MEMORY_CLASSES, TASKS


def test_task_rows_state_the_gpus_a_cell_can_use():
    assert TASKS['det'].usable_gpus(8) == (1, 2)  # total 2
    assert TASKS['seg'].usable_gpus(8) == (1, 2, 4)  # total 4
    assert TASKS['normals'].usable_gpus(8) == (1, 2)  # total 2
    assert TASKS['finetune'].usable_gpus(8) == (1, 2, 4, 8)  # total 64: the counts that split it evenly
    assert TASKS['finetune'].usable_gpus(3) == (1, 2)
    assert TASKS['linear'].usable_gpus(8) == TASKS['fewshot'].usable_gpus(8) == (1,)  # one GPU's work
    assert TASKS['seg'].usable_gpus(8, total_batch_size=6) == (1, 2, 3, 6)


def test_task_rows_state_memory_and_shared_features():
    assert {spec.memory for spec in TASKS.values()} <= set(MEMORY_CLASSES)
    assert [name for name, spec in TASKS.items() if spec.reads_features] == ['linear', 'fewshot']
    assert TASKS['det'].memory == TASKS['seg'].memory == 'dense'


def test_demo_cells_take_their_overridden_total_batch(tmp_path: Path):
    suite = load_suite('demo')
    cells = SuiteRunner(suite, RunContext(out_dir=tmp_path)).plan(dry_run=True)
    by_kind = {}
    for cell in cells:
        by_kind.setdefault(cell.kind, cell)
    assert by_kind['det'].total_batch_size == 2 and by_kind['det'].gpu_counts(8) == (1, 2)
    assert by_kind['seg'].total_batch_size == 2  # the demo's transfer_task.total_batch_size, not the paper's 4
    assert by_kind['finetune'].total_batch_size == 8  # the tool's --batch-size 8
    assert by_kind['finetune'].gpu_counts(8) == (1, 2, 4, 8)
    linear = [c for c in cells if c.kind == 'linear']
    fewshot = [c for c in cells if c.kind == 'fewshot']
    assert by_kind['det'].feature_key is None
    shared = {c.feature_key for c in linear} & {c.feature_key for c in fewshot}
    assert shared, 'a linear and a few-shot cell of one backbone and dataset read the same cached features'
