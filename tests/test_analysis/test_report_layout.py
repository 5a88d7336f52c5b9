"""The HTML report at 1400 px in a real headless Chromium: no block overlaps another, nothing runs past the
window, no figure is shrunk below half its size; scatter figures name backbones in a legend, not on the points."""
import json
import re
import shutil
import subprocess

import pytest

from mmssl_transfer.analysis.report import write_summary
from mmssl_transfer.analysis.summary import PAPER, load_results, summarize
from mmssl_transfer.results import TransferResult, write_result

#: Seven backbones, some with long variant labels (what made the old point annotations overlap).
BACKBONES = {'supervised': 72.0, 'byol': 77.0, 'insdis': 68.0, 'mocov2': 74.0, 'swav': 76.0, 'simclrv1': 70.0,
             'pirl': 69.0}
WINDOW = 1400

#: Runs in the page once loaded: block boxes that intersect, the page's width, figures drawn below half size.
LAYOUT_PROBE = """
<script>
window.addEventListener('load', () => {
  const blocks = [...document.body.querySelectorAll('h1, h2, h3, p, table, img, ul, pre.summary')];
  const boxes = blocks.map(e => [e.tagName + ':' + (e.alt || e.textContent.slice(0, 40)), e.getBoundingClientRect()]);
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, r] = boxes[i], [b, s] = boxes[j];
    const w = Math.min(r.right, s.right) - Math.max(r.left, s.left);
    const h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
    if (w > 1 && h > 1 && !blocks[i].contains(blocks[j]) && !blocks[j].contains(blocks[i])) overlaps.push([a, b]);
  }
  const shrunk = [...document.images].filter(i => i.width < 0.5 * i.naturalWidth).map(i => i.alt);
  const out = document.createElement('pre');
  out.id = 'layout-check';
  out.textContent = JSON.stringify({overlaps, shrunk, page_width: document.documentElement.scrollWidth,
                                    images: document.images.length});
  document.body.appendChild(out);
});
</script>
"""


def _store(tmp_path):
    for i, (backbone, top1) in enumerate(BACKBONES.items()):
        for dataset, shift in (('dtd', 0.0), ('pets', 12.0)):
            record = TransferResult(task='linear', dataset=dataset, protocol='paper', method=backbone,
                                    checkpoint_sha256='ab', metrics={'accuracy': top1 + shift + i % 3},
                                    primary_metric='accuracy', paper_protocol=i % 2 == 0,
                                    hparams={} if i % 2 == 0 else {'variant': 'wd_grid=9-point+image_size=32'},
                                    extra={'suite': {'backbone': backbone}})
            write_result(tmp_path / 'results' / f'{backbone}_{dataset}.json', record)
    return tmp_path


def probe_layout(chromium, page, profile):
    """Open ``page`` (with :data:`LAYOUT_PROBE` added) at 1400 px; return what the probe measured."""
    probed = page.with_name(f'probed_{page.name}')
    probed.write_text(page.read_text().replace('</body>', LAYOUT_PROBE + '</body>'))
    proc = subprocess.run([chromium, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
                           '--disable-background-networking', '--disable-component-update', '--disable-sync',
                           f'--user-data-dir={profile}', f'--window-size={WINDOW},2000',
                           '--virtual-time-budget=10000', '--dump-dom', probed.as_uri()],
                          capture_output=True, text=True, timeout=120, check=True)
    found = re.search(r'<pre id="layout-check">(.*?)</pre>', proc.stdout, re.S)
    assert found, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(found.group(1).replace('&quot;', '"').replace('&amp;', '&'))


def test_report_at_1400_px_has_no_overlapping_or_overflowing_blocks(tmp_path):
    chromium = shutil.which('chromium') or shutil.which('chromium-browser')
    if chromium is None:
        pytest.fail('chromium is not installed (tools/install.sh installs it); the report layout test needs it')
    store = _store(tmp_path)
    summary = summarize(load_results(store), source=str(store), compare=PAPER, n_boot=100)
    report = write_summary(summary, tmp_path / 'summary')['report']
    assert 'Not about your runs' in report.read_text()  # the published-row check says why it is there
    layout = probe_layout(chromium, report, tmp_path / 'profile')
    assert layout['images'] >= 1
    assert layout['overlaps'] == []
    assert layout['shrunk'] == []  # a figure drawn at under half its size is unreadable
    assert layout['page_width'] <= WINDOW  # nothing runs past the window (wide tables scroll in their own box)
    # the probe does see a broken page: headings pulled onto the next block, a table wider than the window
    broken = report.with_name('broken.html')
    breaking = 'h2 { margin-bottom: -40px } table { width: 3000px }</style>'
    broken.write_text(report.read_text().replace('</style>', breaking))
    bad = probe_layout(chromium, broken, tmp_path / 'profile')
    assert bad['overlaps'] and bad['page_width'] > WINDOW
