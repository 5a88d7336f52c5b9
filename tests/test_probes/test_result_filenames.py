"""Result files written by the probes are named from safe tokens (no colon, space or comma from a method string)."""
from mmssl_transfer.probes.experiments import result_filename
from mmssl_transfer.results import TransferResult


def test_an_ambiguous_method_gives_a_file_name_of_safe_tokens():
    result = TransferResult(task='fewshot', dataset='dtd', protocol='5way-5shot',
                            method='ambiguous: supervised, barlowtwins, dino', checkpoint_sha256='',
                            metrics={'accuracy': 1.0}, primary_metric='accuracy')
    assert result_filename(result) == 'fewshot_dtd_5way-5shot_ambiguous-supervised-barlowtwins-dino.json'
    plain = TransferResult(task='linear', dataset='dtd', protocol='paper', method='mocov2', checkpoint_sha256='',
                           metrics={'top1': 1.0}, primary_metric='top1')
    assert result_filename(plain) == 'linear_dtd_paper_mocov2.json'
