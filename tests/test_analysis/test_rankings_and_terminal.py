"""Rankings count each backbone once (variants only when asked); --compare paper prints per-cell ours | paper |
diff tables in the terminal; piped output is not wrapped at 80 columns."""
import io

from rich.console import Console

from mmssl_transfer.analysis.formatting import print_summary
from mmssl_transfer.analysis.summary import PAPER, load_results, summarize
from mmssl_transfer.results import TransferResult, write_result

LINEAR = {'supervised': 72.0, 'byol': 77.0, 'insdis': 68.0}


def _store(tmp_path):
    records = []
    for backbone, value in LINEAR.items():
        records.append(TransferResult(task='linear', dataset='dtd', protocol='paper', method=backbone,
                                      checkpoint_sha256='ab', metrics={'accuracy': value}, primary_metric='accuracy',
                                      paper_protocol=True))
        records.append(TransferResult(task='fewshot', dataset='dtd', protocol='5way-5shot', method=backbone,
                                      checkpoint_sha256='ab', metrics={'accuracy': value + 5},
                                      primary_metric='accuracy', paper_protocol=False,
                                      hparams={'variant': 'image_size=32+n_episodes=100'}))
    records.append(TransferResult(task='linear', dataset='dtd', protocol='paper', method='byol',
                                  checkpoint_sha256='ab', metrics={'accuracy': 60.0}, primary_metric='accuracy',
                                  paper_protocol=False, hparams={'variant': 'wd_grid=9-point'}))
    for i, record in enumerate(records):
        write_result(tmp_path / 'results' / f'{i}.json', record)
    return load_results(tmp_path)


def test_rankings_have_one_entry_per_backbone_unless_variants_are_asked_for(tmp_path):
    results = _store(tmp_path)
    ranked = summarize(results, n_boot=10).rankings
    assert sorted(ranked.index) == ['byol', 'insdis', 'supervised']  # byol once, by its paper-protocol row
    assert ranked.loc['byol', 'average rank'] == 1.0
    every = summarize(results, n_boot=10, rank_variants=True).rankings
    assert 'byol [wd_grid=9-point]' in every.index and 'byol [image_size=32+n_episodes=100]' in every.index


def test_compare_paper_prints_a_per_cell_table_at_full_width(tmp_path):
    summary = summarize(_store(tmp_path), compare=PAPER, n_boot=10)
    out = io.StringIO()
    print_summary(summary, Console(file=out, width=80, highlight=False, color_system=None))
    text = out.getvalue()
    assert 'ours vs paper' in text
    rows = [line for line in text.splitlines() if line.strip().startswith('│ byol ') and 'DTD' in line]
    assert rows and any('77.00' in line and '(variant)' not in line for line in rows)  # ours, paper, diff
    assert any('60.00' in line and '(variant)' in line for line in rows)  # the variant cell: shown, not diffed


def test_markdown_aligns_text_left_and_numbers_right_and_html_has_no_index_name_row():
    import pandas as pd

    from mmssl_transfer.analysis.formatting import markdown_table
    from mmssl_transfer.analysis.report import _html_table
    frame = pd.DataFrame({'why': ['a reason', 'another'], 'value': ['**77.00**', '73.00 ± 0.60']},
                         index=pd.Index(['byol', 'swav'], name='backbone'))
    assert markdown_table(frame).splitlines()[1] == '|---|---|---:|'
    html = _html_table(frame)
    assert html.count('<tr') == 3 and '<th>backbone</th>' in html  # header + 2 rows, no extra 'backbone' row
