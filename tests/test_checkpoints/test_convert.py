"""Every zoo method's toy checkpoint (original layout) converts to exactly the reference torchvision weights."""
import pytest
import torch

from mmssl_transfer.checkpoints import (ZOO, CheckpointError, convert, detect_format, load_checkpoint, resnet50_shapes,
                                        save_converted)
from mmssl_transfer.toy.checkpoints import make_toy_checkpoints, toy_checkpoint_path, toy_reference_state_dict


def assert_same_weights(state_dict, reference):
    assert set(state_dict) == set(reference)
    for key, value in reference.items():
        assert state_dict[key].dtype == value.dtype, key
        assert torch.equal(state_dict[key], value), key


@pytest.mark.parametrize('method', list(ZOO))
def test_toy_checkpoint_converts_to_reference_weights(toy_checkpoints, method):
    conversion = convert(toy_checkpoint_path(toy_checkpoints, method))
    assert_same_weights(conversion.state_dict, toy_reference_state_dict(toy_checkpoints, method))
    assert list(conversion.state_dict) == list(resnet50_shapes(8))  # torchvision order, no fc
    report = conversion.report
    assert report.method == method
    assert report.base_channels == 8 and report.missing == [] and report.unexpected == []
    assert len(report.sha256) == 64 and report.num_tensors == 318
    assert report.num_params == sum(v.numel() for k, v in conversion.state_dict.items()
                                    if k.endswith(('weight', 'bias')))
    assert report.normalization == ZOO[method].normalization


@pytest.mark.parametrize('method', list(ZOO))
def test_detect_format_names_the_method_family_of_all_16(toy_checkpoints, method):
    loaded = load_checkpoint(toy_checkpoint_path(toy_checkpoints, method))
    # without a file name: the layout decides; methods with identical layouts are listed as candidates and the
    # method is recorded as ambiguous - or refused when the candidates expect different input normalisation
    if method == 'simclrv1':  # {'state_dict': torchvision names}: SimCLR-v1 ([0, 1] input) or any extracted model
        with pytest.raises(CheckpointError, match=r'different input normalisation .*pass method='):
            detect_format(loaded.obj)
    else:
        anonymous = detect_format(loaded.obj)
        assert method in anonymous.candidates
        single = len(anonymous.candidates) == 1
        assert anonymous.method == (method if single else 'ambiguous: ' + ', '.join(anonymous.candidates))
        assert anonymous.normalization == ZOO[method].normalization
    # with the file name: the exact method
    assert detect_format(loaded.obj, filename=loaded.path.name).method == method


def test_head_markers_tell_moco_v1_from_v2_and_swav_from_deepcluster_without_file_names(toy_checkpoints):
    obj = lambda m: load_checkpoint(toy_checkpoint_path(toy_checkpoints, m)).obj  # noqa: E731
    assert detect_format(obj('mocov1')).candidates == ('mocov1', 'pclv1')
    assert detect_format(obj('mocov2')).candidates == ('pclv2', 'mocov2')
    assert detect_format(obj('swav')).method == 'swav'
    assert detect_format(obj('insdis')).method == 'insdis'
    assert detect_format(obj('pirl')).method == 'pirl'
    assert detect_format(obj('infomin')).method == 'infomin'
    # what only a file name tells apart is recorded as such, never as a guess
    assert detect_format(obj('mocov1')).method == 'ambiguous: mocov1, pclv1'
    assert detect_format(obj('mocov2')).method == 'ambiguous: pclv2, mocov2'
    assert detect_format(obj('deepclusterv2')).method == 'ambiguous: selav2, deepclusterv2'
    assert detect_format(obj('supervised')).method == 'ambiguous: supervised, barlowtwins, dino'


def test_report_lists_dropped_heads_and_other_branches(toy_checkpoints):
    report = convert(toy_checkpoint_path(toy_checkpoints, 'mocov2')).report
    assert 'module.encoder_q.fc.0.weight' in report.dropped and 'module.queue' in report.dropped
    assert any(k.startswith('module.encoder_k.') for k in report.dropped)
    assert report.kept[0] == 'module.encoder_q.conv1.weight'
    assert set(report.ignored_entries) == {'epoch', 'arch', 'optimizer'}
    byol = convert(toy_checkpoint_path(toy_checkpoints, 'byol')).report
    assert byol.kept[0] == 'online_params/res_net50/~/initial_conv/w'
    assert any(k.startswith('online_params/projector/') for k in byol.dropped)
    assert len(byol.filled) == 53  # JAX has no BN step counters: filled with 0


def test_explicit_method_overrides_detection_and_wrong_layout_is_an_error(toy_checkpoints):
    path = toy_checkpoint_path(toy_checkpoints, 'mocov1')
    assert convert(path, method='pcl-v1').report.method == 'pclv1'
    with pytest.raises(CheckpointError, match=r'mocov1\.pth\.tar: not in the swav layout'):
        convert(path, method='swav')
    with pytest.raises(CheckpointError, match='unknown method'):
        convert(path, method='mocov9')


@pytest.mark.parametrize('fmt', ['pth', 'safetensors'])
def test_converted_file_is_clean_and_converts_again_to_the_same_weights(toy_checkpoints, tmp_path, fmt):
    conversion = convert(toy_checkpoint_path(toy_checkpoints, 'simclrv2'))
    dst = save_converted(conversion, tmp_path / f'out.{fmt}', fmt=fmt)
    if fmt == 'pth':  # mmengine's checkpoint layout: what OpenMMLab's Pretrained init reads as is
        plain = torch.load(dst, weights_only=True)
        assert list(plain) == ['state_dict', 'meta'] and list(plain['state_dict']) == list(conversion.state_dict)
        assert plain['meta']['mmssl_transfer.method'] == 'simclrv2'
    again = convert(dst)
    assert_same_weights(again.state_dict, dict(conversion.state_dict))
    # both formats record the method and its normalisation (SimCLR: unit-range input)
    assert (again.report.method, again.report.normalization) == ('simclrv2', 'unit')
    assert 'metadata records' in again.report.detected_by
    assert convert(dst, method='simclr-v2').report.method == 'simclrv2'


def test_plain_torchvision_state_dict_object_converts_with_imagenet_normalisation_as_ambiguous():
    import torchvision
    state = torchvision.models.resnet50().state_dict()
    conversion = convert(state)
    assert conversion.report.method == 'ambiguous: supervised, barlowtwins, dino' and conversion.spec is None
    assert conversion.report.normalization == 'imagenet' and conversion.report.base_channels == 64
    assert conversion.report.dropped == ['fc.weight', 'fc.bias']
    assert_same_weights(conversion.state_dict, {k: v for k, v in state.items() if not k.startswith('fc.')})


def test_missing_backbone_keys_are_an_error_listing_them(toy_checkpoints):
    state = dict(load_checkpoint(toy_checkpoint_path(toy_checkpoints, 'supervised')).obj)
    del state['layer3.2.conv2.weight'], state['layer1.0.bn1.running_var']
    with pytest.raises(CheckpointError, match=r'2 backbone keys missing .*layer1\.0\.bn1\.running_var, '
                                              r'layer3\.2\.conv2\.weight'):
        convert(state)


def test_shape_mismatch_is_an_error_naming_the_tensor(toy_checkpoints):
    state = dict(load_checkpoint(toy_checkpoint_path(toy_checkpoints, 'supervised')).obj)
    state['layer2.1.conv2.weight'] = torch.zeros(16, 16, 1, 1)
    with pytest.raises(CheckpointError, match=r'shape mismatch .*layer2\.1\.conv2\.weight \(16, 16, 1, 1\) vs '
                                              r'expected \(16, 16, 3, 3\)'):
        convert(state)


def test_extra_blocks_under_the_backbone_prefix_are_unexpected(toy_checkpoints):
    state = dict(load_checkpoint(toy_checkpoint_path(toy_checkpoints, 'supervised')).obj)
    state['layer3.6.conv1.weight'] = torch.zeros(32, 128, 1, 1)  # a ResNet-101 block
    with pytest.raises(CheckpointError, match=r'unexpected keys .*layer3\.6\.conv1\.weight'):
        convert(state)


def test_full_width_checkpoints_have_real_resnet50_shapes_and_load_into_torchvision(tmp_path):
    import torchvision
    folder = make_toy_checkpoints(tmp_path, seed=3, base_channels=64, methods=['mocov2', 'byol'])
    model = torchvision.models.resnet50()
    del model.fc
    for method in ('mocov2', 'byol'):
        conversion = convert(toy_checkpoint_path(folder, method))
        assert conversion.report.base_channels == 64
        assert conversion.report.num_params == 23_508_032  # torchvision ResNet-50 without fc
        assert_same_weights(conversion.state_dict, toy_reference_state_dict(folder, method))
        model.load_state_dict(conversion.state_dict, strict=True)
