"""tools/convert_checkpoint.py: exit 0 with a report table on success, exit 2 with one error line on bad input."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mmssl_transfer.checkpoints import convert, load_checkpoint
from mmssl_transfer.toy.checkpoints import toy_checkpoint_path, toy_reference_state_dict

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / 'tools' / 'convert_checkpoint.py'


def start_tool(*args):
    env = {**os.environ, 'PYTHONPATH': f'{ROOT}{os.pathsep}{os.environ.get("PYTHONPATH", "")}',
           'COLUMNS': '120'}
    return subprocess.Popen([sys.executable, str(TOOL), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def finish(process):
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def run_tool(*args):
    return finish(start_tool(*args))


def test_cli_converts_byol_pickle_to_safetensors_and_prints_the_report(toy_checkpoints, tmp_path):
    dst = tmp_path / 'byol.safetensors'
    result = run_tool(toy_checkpoint_path(toy_checkpoints, 'byol'), dst, '--method', 'auto')
    assert result.returncode == 0, result.stderr
    assert 'checkpoint conversion: byol' in result.stdout and 'base channels' in result.stdout
    assert 'online_params/projector' in result.stdout  # dropped heads are listed
    converted = load_checkpoint(dst).obj
    reference = toy_reference_state_dict(toy_checkpoints, 'byol')
    assert set(converted) == set(reference) and all(torch.equal(converted[k], reference[k]) for k in reference)


def test_cli_main_writes_a_weights_only_pth_for_an_explicit_method(toy_checkpoints, tmp_path, capsys):
    dst = tmp_path / 'out' / 'pcl.pth'
    src = toy_checkpoint_path(toy_checkpoints, 'pclv2')
    assert load_tool().main([str(src), str(dst), '--method', 'pcl-v2', '--format', 'pth']) == 0
    assert 'pclv2' in capsys.readouterr().out
    written = torch.load(dst, weights_only=True)
    assert set(written['state_dict']) == set(convert(dst).state_dict)
    assert written['meta']['mmssl_transfer.method'] == 'pclv2' == convert(dst).report.method


def _truncated(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[:len(data) // 2])
    return dst


def _bad_state(toy_checkpoints: Path, dst: Path, edit) -> Path:
    state = dict(load_checkpoint(toy_checkpoint_path(toy_checkpoints, 'supervised')).obj)
    edit(state)
    torch.save(state, dst)
    return dst


BAD_INPUTS = {
    'missing file': (lambda ck, tmp: tmp / 'nope.pth', 'no such file'),
    'not a checkpoint': (lambda ck, tmp: (tmp / 'notes.pth').write_text('hello, I am text') and tmp / 'notes.pth',
                         'not a checkpoint file'),
    'truncated zip': (lambda ck, tmp: _truncated(toy_checkpoint_path(ck, 'infomin'), tmp / 'cut.pth'),
                      'truncated or corrupt'),
    'truncated legacy': (lambda ck, tmp: _truncated(toy_checkpoint_path(ck, 'mocov1'), tmp / 'cut.pth.tar'),
                         'truncated or corrupt'),
    'truncated pickle': (lambda ck, tmp: _truncated(toy_checkpoint_path(ck, 'byol'), tmp / 'cut.pkl'),
                         'truncated or corrupt pickle'),
    'truncated safetensors': (lambda ck, tmp: _truncated(
        Path(str(toy_checkpoint_path(ck, 'dino')).replace('.pth', '.expected.safetensors')), tmp / 'cut.safetensors'),
        'truncated or corrupt safetensors'),
    'unknown layout': (lambda ck, tmp: torch.save({'net': {'backbone.conv1.weight': torch.zeros(1)}},
                                                  tmp / 'odd.pth') or tmp / 'odd.pth',
                       "unknown checkpoint layout: no zoo method matches (top-level keys ['net']; most common key "
                       "prefixes: 'backbone.conv1' x1)"),
    'missing keys': (lambda ck, tmp: _bad_state(ck, tmp / 'holes.pth', lambda s: s.pop('layer4.2.bn3.weight')),
                     '1 backbone keys missing for supervised (ResNet-50, base width 8): layer4.2.bn3.weight'),
    'shape mismatch': (lambda ck, tmp: _bad_state(ck, tmp / 'shape.pth', lambda s: s.update(
        {'layer1.0.conv2.weight': torch.zeros(8, 8, 1, 1)})),
        'shape mismatch against a ResNet-50 of base width 8 (1 tensors): layer1.0.conv2.weight (8, 8, 1, 1) vs '
        'expected (8, 8, 3, 3)'),
}


def load_tool():
    spec = importlib.util.spec_from_file_location('convert_checkpoint_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('case', list(BAD_INPUTS))
def test_cli_main_bad_input_returns_2_with_one_line_naming_file_and_reason(toy_checkpoints, tmp_path, capsys,
                                                                           case):
    make, reason = BAD_INPUTS[case]
    src = make(toy_checkpoints, tmp_path)
    assert load_tool().main([str(src), str(tmp_path / 'never.pth')]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f'convert_checkpoint.py: error: {src}')
    assert reason in lines[0]
    assert not (tmp_path / 'never.pth').exists()


#: Bad inputs also run as real processes (each costs an interpreter start-up, so a representative subset).
SUBPROCESS_CASES = ('missing file', 'truncated zip', 'unknown layout', 'shape mismatch')


@pytest.fixture(scope='module')
def bad_input_runs(toy_checkpoints, tmp_path_factory):
    """Run the tool on the subprocess cases, all processes started together to overlap their start-up."""
    started = {}
    for case in SUBPROCESS_CASES:
        folder = tmp_path_factory.mktemp('bad')
        src = BAD_INPUTS[case][0](toy_checkpoints, folder)
        started[case] = (src, folder / 'never.pth', start_tool(src, folder / 'never.pth'))
    return {case: (src, dst, finish(process)) for case, (src, dst, process) in started.items()}


@pytest.mark.parametrize('case', SUBPROCESS_CASES)
def test_cli_process_bad_input_exits_2_with_one_line_naming_file_and_reason(bad_input_runs, case):
    src, dst, result = bad_input_runs[case]
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f'convert_checkpoint.py: error: {src}')
    assert BAD_INPUTS[case][1] in lines[0]
    assert not dst.exists()


def test_cli_explain_prints_the_detection_reasoning_and_writes_nothing(toy_checkpoints, tmp_path, capsys,
                                                                       monkeypatch):
    import shutil
    monkeypatch.setenv('COLUMNS', '400')  # one line per table row
    src = shutil.copy(toy_checkpoint_path(toy_checkpoints, 'mocov1'), tmp_path / 'checkpoint.pth.tar')
    assert load_tool().main(['--explain', str(src)]) == 0
    out = capsys.readouterr().out
    assert f'format detection: {src}' in out and 'zoo rows' in out
    for expected in ('container (top-level keys)', 'epoch, arch, state_dict, optimizer', 'module.encoder_q x',
                     'module.encoder_q.fc.weight', 'ambiguous: mocov1, pclv1', 'no: container missing',
                     'candidate (head markers'):
        assert expected in out, expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ['checkpoint.pth.tar']


def test_cli_needs_dst_unless_explaining(toy_checkpoints, capsys):
    with pytest.raises(SystemExit) as info:
        load_tool().main([str(toy_checkpoint_path(toy_checkpoints, 'swav'))])
    assert info.value.code == 2 and 'give DST to convert, or --explain without DST' in capsys.readouterr().err


def test_cli_vit_conversion_is_read_back_as_its_row(tmp_path, capsys):
    from mmssl_transfer.toy.vit_checkpoints import make_toy_vit_checkpoints, toy_vit_checkpoint_path
    src = toy_vit_checkpoint_path(make_toy_vit_checkpoints(tmp_path, rows=['mocov3_vits']), 'mocov3_vits')
    dst = tmp_path / 'weights.safetensors'  # a name that says nothing: the file's metadata does
    assert load_tool().main([str(src), str(dst)]) == 0
    assert 'mocov3_vits' in capsys.readouterr().out
    report = convert(dst).report
    assert (report.method, report.layout, report.architecture['num_heads']) == ('mocov3_vits', 'mocov3_vits', 12)
    assert report.kept == list(convert(src).state_dict)  # our file keeps the converted names as they are
