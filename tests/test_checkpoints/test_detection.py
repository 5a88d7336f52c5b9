"""Format detection never guesses a method: shared layouts are refused or recorded as ambiguous; our own files and
official release names say which; ``--explain`` shows the reasoning."""
import shutil

import pytest
import torch

from mmssl_transfer.checkpoints import ALL_METHODS, CheckpointError, convert, explain, load_checkpoint, save_converted
from mmssl_transfer.toy.checkpoints import toy_checkpoint_path, toy_reference_state_dict


def mmselfsup_extracted(toy_checkpoints, method: str, dst):
    """``tools/model_converters/extract_backbone_weights.py`` of mmselfsup applied to an mmselfsup checkpoint whose
    backbone holds ``method``'s weights: ``dict(state_dict={<backbone. stripped>}, author='MMSelfSup')``."""
    backbone = toy_reference_state_dict(toy_checkpoints, method)
    checkpoint = {'meta': {'epoch': 200}, 'state_dict': {
        **{f'backbone.{k}': v for k, v in backbone.items()},
        'neck.mlp.0.weight': torch.zeros(4, 4), 'head.predictor.weight': torch.zeros(4, 4)}}
    output = dict(state_dict=dict(), author='MMSelfSup')
    for key, value in checkpoint['state_dict'].items():
        if key.startswith('backbone'):
            output['state_dict'][key[9:]] = value
    torch.save(output, dst)
    return dst


def test_a_wrapped_torchvision_file_is_refused_rather_than_taken_for_simclr(toy_checkpoints, tmp_path):
    path = mmselfsup_extracted(toy_checkpoints, 'swav', tmp_path / 'swav_backbone.pth')
    with pytest.raises(CheckpointError) as info:
        convert(path)
    message = str(info.value)
    assert message.startswith(f'{path}: container \'state_dict\' with torchvision key names')
    assert 'different input normalisation (simclrv1: unit ([0, 1] input); supervised, barlowtwins, dino: ' \
           'imagenet (mean/std))' in message
    assert 'pass method=... (one of simclrv1, supervised, barlowtwins, dino)' in message
    assert 'resnet50-1x.pth for simclrv1' in message and '\n' not in message
    # method= says which: the weights are the same either way, the normalisation follows the method
    swav = convert(path, method='swav')
    assert swav.report.method == 'swav' and swav.report.normalization == 'imagenet'
    assert 'already in torchvision layout' in swav.report.detected_by
    assert swav.report.ignored_entries == ['author']
    reference = toy_reference_state_dict(toy_checkpoints, 'swav')
    assert all(torch.equal(swav.state_dict[k], v) for k, v in reference.items() if not k.endswith('_tracked'))
    assert convert(path, method='simclr-v1').report.normalization == 'unit'


def test_the_same_layout_under_the_simclr_converters_file_name_is_simclr_with_a_note(toy_checkpoints, tmp_path):
    path = mmselfsup_extracted(toy_checkpoints, 'simclrv1', tmp_path / 'resnet50-1x.pth')
    report = convert(path).report
    assert (report.method, report.normalization) == ('simclrv1', 'unit')
    assert "chosen by the official file name 'resnet50-1x.pth' among ['simclrv1', 'supervised', 'barlowtwins', " \
           "'dino']" in report.detected_by


# ------------------------------------------------------------------------------ our own files keep their method
@pytest.mark.parametrize('fmt', ['pth', 'safetensors'])
@pytest.mark.parametrize('method, normalization', [('simclrv1', 'unit'), ('simclrv2', 'unit'), ('pclv1', 'imagenet'),
                                                   ('byol', 'imagenet')])
def test_converted_files_record_method_and_normalisation_whatever_their_name(toy_checkpoints, tmp_path, fmt, method,
                                                                             normalization):
    conversion = convert(toy_checkpoint_path(toy_checkpoints, method))
    dst = save_converted(conversion, tmp_path / f'supervised.{fmt}')  # a misleading name does not override it
    loaded = load_checkpoint(dst)
    assert loaded.metadata['mmssl_transfer.method'] == method
    assert loaded.metadata['mmssl_transfer.normalization'] == normalization
    again = convert(dst).report
    assert (again.method, again.normalization, again.candidates) == (method, normalization, (method,))
    assert again.base_channels == conversion.report.base_channels


def test_an_ambiguous_conversion_stays_ambiguous_in_the_file_it_is_saved_to(toy_checkpoints, tmp_path):
    renamed = shutil.copy(toy_checkpoint_path(toy_checkpoints, 'pclv1'), tmp_path / 'checkpoint_0199.pth.tar')
    conversion = convert(renamed)
    assert conversion.report.method == 'ambiguous: mocov1, pclv1'
    again = convert(save_converted(conversion, tmp_path / 'out.pth')).report
    assert (again.method, again.normalization, again.candidates) == ('ambiguous: mocov1, pclv1', 'imagenet',
                                                                     ('mocov1', 'pclv1'))


def test_a_plain_torchvision_file_named_after_a_method_takes_that_method(toy_checkpoints, tmp_path):
    # e.g. a file converted before files recorded their method: torchvision names may hold any converted method
    path = tmp_path / 'simclrv1.pth'
    torch.save(dict(toy_reference_state_dict(toy_checkpoints, 'simclrv1')), path)
    report = convert(path).report
    assert (report.method, report.normalization) == ('simclrv1', 'unit')
    assert 'may hold any converted method' in report.detected_by


# ------------------------------------------------------------------------- what only a file name tells apart
AMBIGUOUS = {
    'mocov1': ('ambiguous: mocov1, pclv1', 'moco_v1_200ep_pretrain.pth.tar'),
    'pclv1': ('ambiguous: mocov1, pclv1', 'PCL_v1_epoch200.pth.tar'),
    'pclv2': ('ambiguous: pclv2, mocov2', 'PCL_v2_epoch200.pth.tar'),
    'mocov2': ('ambiguous: pclv2, mocov2', 'moco_v2_800ep_pretrain.pth.tar'),
    'deepclusterv2': ('ambiguous: selav2, deepclusterv2', 'deepclusterv2_800ep_pretrain.pth.tar'),
    'selav2': ('ambiguous: selav2, deepclusterv2', 'selav2_400ep_pretrain.pth.tar'),
    'dino': ('ambiguous: supervised, barlowtwins, dino', 'dino_resnet50_pretrain.pth'),
    'supervised': ('ambiguous: supervised, barlowtwins, dino', 'resnet50-19c8e357.pth'),
}


@pytest.mark.parametrize('method', list(AMBIGUOUS))
def test_renamed_files_of_shared_layouts_are_ambiguous_and_release_names_resolve_them(toy_checkpoints, tmp_path,
                                                                                      method):
    ambiguous, release_name = AMBIGUOUS[method]
    src = toy_checkpoint_path(toy_checkpoints, method)
    renamed = convert(shutil.copy(src, tmp_path / ('model' + src.name[len(method):]))).report
    assert renamed.method == ambiguous and renamed.normalization == 'imagenet'
    assert 'only their file names tell apart' in renamed.detected_by
    official = convert(shutil.copy(src, tmp_path / release_name)).report
    assert official.method == method and f'the official file name {release_name!r}' in official.detected_by


def test_barlow_twins_generic_release_name_does_not_say_barlow_twins(toy_checkpoints, tmp_path):
    src = toy_checkpoint_path(toy_checkpoints, 'barlowtwins')
    report = convert(shutil.copy(src, tmp_path / 'resnet50.pth')).report
    assert report.method == 'ambiguous: supervised, barlowtwins, dino'
    assert convert(src, method='barlowtwins').report.method == 'barlowtwins'


def test_an_ambiguous_method_is_what_provenance_and_probe_results_record(toy_checkpoints, tmp_path):
    import torch.nn as nn

    from mmssl_transfer.engine.hooks.backbone_provenance_hook import backbone_provenance
    from mmssl_transfer.models import SSLResNet
    from mmssl_transfer.probes.experiments import checkpoint_identity
    from mmssl_transfer.results import TransferResult, read_result, write_result
    path = shutil.copy(toy_checkpoint_path(toy_checkpoints, 'selav2'), tmp_path / 'ckp-399.pth.tar')
    model = nn.Module()
    model.backbone = SSLResNet(checkpoint=path, base_channels=8)
    model.backbone.init_weights()
    assert backbone_provenance(model)['method'] == 'ambiguous: selav2, deepclusterv2'
    assert model.backbone.input_normalization['std'] == [58.395, 57.12, 57.375]
    method, sha = checkpoint_identity(path)
    assert method == 'ambiguous: selav2, deepclusterv2' and sha == load_checkpoint(path).sha256
    record = TransferResult(task='linear', dataset='aircraft', protocol='linear', method=method,
                            checkpoint_sha256=sha, metrics={'accuracy': 1.0}, primary_metric='accuracy')
    assert read_result(write_result(tmp_path / 'r.json', record)).method == 'ambiguous: selav2, deepclusterv2'
    assert checkpoint_identity(path, method='sela-v2')[0] == 'selav2'


def test_a_zoo_name_as_checkpoint_is_that_method():
    from mmssl_transfer.models import SSLResNet
    assert SSLResNet(checkpoint='pcl-v1', base_channels=8).method == 'pclv1'  # nothing is downloaded yet


# ----------------------------------------------------------------------------------------------- --explain
def test_explain_lists_every_zoo_row_with_its_verdict(toy_checkpoints, tmp_path):
    path = shutil.copy(toy_checkpoint_path(toy_checkpoints, 'pclv2'), tmp_path / 'renamed.pth.tar')
    loaded, explanation = explain(path)
    rows = {row.method: row for row in explanation.rows}
    assert list(rows) == list(ALL_METHODS)  # the 16 ResNet-50 rows, then the ViT rows
    assert rows['pclv2'].verdict.startswith('candidate') and rows['mocov2'].verdict.startswith('candidate')
    assert rows['mocov1'].layout_ok and rows['mocov1'].verdict.startswith('no: head markers differ (needs')
    assert rows['byol'].verdict == 'no: container missing'
    assert rows['simclrv1'].container == "container 'state_dict'"
    assert rows['simclrv1'].verdict == 'no: torchvision key names not found'
    assert explanation.top_level_keys == ['epoch', 'arch', 'state_dict', 'optimizer']
    assert ('module.encoder_q', 318 + 4) in explanation.prefixes  # backbone + MLP head (fc.0, fc.2)
    assert explanation.head_keys[:2] == ['module.encoder_q.fc.0.weight', 'module.encoder_q.fc.0.bias']
    assert explanation.detection.method == 'ambiguous: pclv2, mocov2' and explanation.refusal is None
    refused = explain(mmselfsup_extracted(toy_checkpoints, 'swav', tmp_path / 'x.pth'))[1]
    assert refused.detection is None and 'pass method=' in refused.refusal
    assert [r.method for r in refused.rows if r.verdict == 'candidate'] == ['simclrv1', 'supervised', 'barlowtwins',
                                                                            'dino']
