"""Progress off a terminal is plain lines (``<what>: <done>/<total> (<percent>%) <elapsed>``), never rich's bar
frame or cursor codes; on a terminal it stays rich's live bar."""
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn

from mmssl_transfer.progress import PlainWhenPiped

REPO = Path(__file__).resolve().parents[1]
PLAIN_LINE = re.compile(r'^(?P<what>.+): (?P<done>\d+)/(?P<total>\d+) \((?P<percent>\d+)%\) \d\d:\d\d:\d\d$')


def _advance(console: Console, total: int, **options) -> str:
    with PlainWhenPiped(SpinnerColumn(), TextColumn('{task.description}'), BarColumn(), MofNCompleteColumn(),
                        console=console, **options) as progress:
        task = progress.add_task('cells', total=total)
        for _ in range(total):
            progress.advance(task)
    return console.file.getvalue()


def test_off_a_terminal_each_step_of_the_total_is_one_plain_line():
    every = _advance(Console(file=io.StringIO(), width=80), 4, plain_step=0)
    assert every.splitlines() == ['cells: 1/4 (25%) 00:00:00', 'cells: 2/4 (50%) 00:00:00',
                                  'cells: 3/4 (75%) 00:00:00', 'cells: 4/4 (100%) 00:00:00']
    tenths = _advance(Console(file=io.StringIO(), width=80), 1000, transient=True).splitlines()
    assert [int(PLAIN_LINE.match(line)['percent']) for line in tenths] == list(range(10, 101, 10))
    live = _advance(Console(file=io.StringIO(), width=80, force_terminal=True), 4, plain_step=0)
    assert '━' in live and 'cells: 1/4' not in live  # a terminal keeps the live bar


def test_a_tool_piped_into_a_file_prints_its_progress_as_plain_lines(tmp_path):
    from mmssl_transfer.toy import make_toy
    toy = make_toy('classification', tmp_path / 'toy', seed=0, datasets=('dtd',), num_classes=3)
    archive = shutil.make_archive(str(tmp_path / 'dtd'), 'zip', root_dir=toy, base_dir='dtd')
    members = len(zipfile.ZipFile(archive).infolist())
    proc = subprocess.run([sys.executable, str(REPO / 'tools' / 'prepare_data.py'), 'dtd', '--from-archive', archive,
                           '--root', str(tmp_path / 'dtd')], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, 'PYTHONPATH': str(REPO)})
    progress = [m for line in proc.stdout.splitlines() if (m := PLAIN_LINE.match(line))]
    assert 10 <= len(progress) <= 11 and {m['what'] for m in progress} == {'unpacking dtd.zip'}, proc.stdout
    assert (progress[-1]['done'], progress[-1]['total']) == (str(members), str(members))
    assert not any(c in proc.stdout + proc.stderr for c in ('\x1b', '\r', '╸', '╺'))  # no bar frame, no cursor codes
    assert not any('unpacking' in line and '━' in line for line in proc.stdout.splitlines())
