"""The HTML report at 1400 px in a real headless Chromium: no block overlaps another, nothing runs past the
window, no figure is shrunk below half its size; scatter figures name backbones in a legend, not on the points.
Inside every figure the report writes, no two texts overlap and none runs past the figure's edge."""
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


#: Features of the figure test's backbones: one in two gets a long label (a user's own checkpoint).
FEATURE_COLUMNS = ('lpips_alex', 'lpips_vgg', 'lpips_squeeze', 'err_r', 'err_g', 'err_b', 'attentive_diffusion')


def _every_figure_store(tmp_path):
    """Records giving every figure of the report: sixteen zoo backbones (every other one with a long label) on
    recognition, detection and both NYUv2 tasks (scatter grids of 1 to 5 panels, the category figure), label
    budgets with an undefined utility (the utility curves) and one backbone's feature images."""
    import matplotlib.pyplot as plt
    import numpy as np

    from mmssl_transfer.checkpoints import ZOO
    rng = np.random.default_rng(0)
    methods = [m for m in ZOO if ZOO[m].imagenet_top1][:16]
    labels = {m: f'{m}_my_own_checkpoint_ep200_lr0.03' if i % 2 else m for i, m in enumerate(methods)}

    def record(task, dataset, protocol, method, metric, value, **suite):
        return TransferResult(task=task, dataset=dataset, protocol=protocol, method=method, checkpoint_sha256='ab',
                              metrics={metric: value}, primary_metric=metric, paper_protocol=True,
                              extra={'suite': {'backbone': labels.get(method, method), **suite}})
    results = []
    for method in methods:
        top1 = ZOO[method].imagenet_top1
        results += [record('linear', d, 'paper', method, 'accuracy', top1 + shift + rng.normal())
                    for d, shift in (('dtd', 0), ('pets', 10), ('aircraft', -20), ('cars', -10), ('flowers', 15))]
        results += [record('det', 'voc0712', 'frozen', method, 'AP', 50 + rng.normal()),
                    record('depth', 'nyuv2', 'frozen', method, 'rmse', 0.6 + 0.1 * rng.random()),
                    record('normals', 'nyuv2', 'frozen', method, 'mean', 20 + rng.random()),
                    record('fewshot', 'dtd', '5way-5shot', method, 'accuracy', top1 - 5 + rng.normal())]
        results += [record('finetune', 'dtd', 'finetune', method, 'top1', accuracy + rng.normal(),
                           variant={'labels_per_class': n}) for n, accuracy in ((10, 30), (100, 50), (1000, 99))]
    scratch = [record('finetune', 'dtd', 'finetune', 'scratch', 'top1', accuracy, variant={'labels_per_class': n})
               for n, accuracy in ((10, 20), (100, 45), (1000, 60))]
    for r in scratch:
        r.checkpoint_sha256 = ''
    images = []
    for k, dataset in enumerate(('dtd', 'eurosat')):
        pngs = {}
        for name, size in (('original', 32), ('reconstruction', 32), ('saliency', 24)):
            pngs[name] = str(tmp_path / f'{dataset}_{name}.png')
            plt.imsave(pngs[name], rng.random((size, size)) if name == 'saliency' else rng.random((size, size, 3)))
        images.append({'dataset': dataset, 'index': 0, 'image_id': f'images/{k}.jpg', 'pngs': pngs})
    features = record('feature_properties', 'dtd+eurosat', 'paper', methods[1], 'attentive_diffusion', 0.5)
    features.metrics = {m: 0.5 for m in FEATURE_COLUMNS}
    features.extra['images'] = images
    return results + scratch + [features]


def test_no_text_of_any_report_figure_overlaps_another_or_runs_past_its_edge(tmp_path, monkeypatch):
    """matplotlib draws each figure; the window extents of every text drawn (titles, tick and axis labels, legend
    entries) are compared pairwise and with the figure's box."""
    from mmssl_transfer.analysis import plots
    checked = {}
    save = plots.save_figure

    def checking(fig, stem):
        checked[stem.name] = plots.text_collisions(fig)
        return save(fig, stem)
    monkeypatch.setattr(plots, 'save_figure', checking)
    summary = summarize(_every_figure_store(tmp_path), compare=PAPER, n_boot=50)
    paths = write_summary(summary, tmp_path / 'summary')
    written = {p.stem for p in paths['figures'].glob('*.png')}
    assert written == set(checked)  # every figure the report writes went through the check
    assert {'categories', 'utility_dtd', 'linear_manyshot_vs_imagenet', 'detection_voc_vs_imagenet',
            'dense_vs_imagenet'} <= written and any(name.startswith('feature_properties_') for name in written)
    assert {name: found for name, found in checked.items() if found} == {}


def test_the_text_check_sees_overlapping_and_clipped_texts():
    from mmssl_transfer.analysis.plots import plt, text_collisions
    fig, ax = plt.subplots(figsize=(3, 2), layout='constrained')
    ax.set_title('a title')
    assert text_collisions(fig) == []
    bare, _ = plt.subplots(figsize=(3, 2))  # no layout engine: a small figure's tick labels run past its edge
    assert "'0.0' clipped by the figure edge" in text_collisions(bare)
    plt.close(bare)
    ax.text(0.5, 0.5, 'here', transform=ax.transAxes)
    ax.text(0.52, 0.5, 'there', transform=ax.transAxes)
    fig.suptitle('a suptitle much wider than the three inches of this figure, so its ends are cut off')
    found = text_collisions(fig)
    plt.close(fig)
    assert "'here' / 'there'" in found
    assert "'a suptitle much wider than the three inches of this figure, so its ends are cut off' clipped by the " \
           'figure edge' in found
