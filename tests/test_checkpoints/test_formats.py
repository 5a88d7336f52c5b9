"""Format detection matches prefixes by prefix (never substring) and explains unknown layouts."""
import pytest
import torch

from mmssl_transfer.checkpoints import CheckpointError, convert, detect_format, load_checkpoint
from mmssl_transfer.toy.checkpoints import toy_checkpoint_path


@pytest.fixture
def moco_checkpoint(toy_checkpoints):
    return load_checkpoint(toy_checkpoint_path(toy_checkpoints, 'mocov2')).obj


def _renamed(checkpoint, old, new):
    state = {(new + k[len(old):] if k.startswith(old) else k): v for k, v in checkpoint['state_dict'].items()}
    return {**checkpoint, 'state_dict': state}


@pytest.mark.parametrize('prefix', ['xmodule.encoder_q.', 'module.encoder_q_extra.', 'module.encoder_qq.'])
def test_look_alike_prefixes_are_not_taken_for_the_moco_prefix(moco_checkpoint, prefix):
    checkpoint = _renamed(moco_checkpoint, 'module.encoder_q.', prefix)
    with pytest.raises(CheckpointError, match='unknown checkpoint layout'):
        detect_format(checkpoint)
    with pytest.raises(CheckpointError, match='not in the mocov2 layout'):
        convert(checkpoint, method='mocov2')


def test_look_alike_keys_next_to_the_real_ones_are_dropped_not_kept(moco_checkpoint):
    state = dict(moco_checkpoint['state_dict'])
    state['module.encoder_q_extra.conv1.weight'] = torch.zeros(1)
    state['xmodule.encoder_q.layer1.0.conv1.weight'] = torch.zeros(1)
    report = convert({**moco_checkpoint, 'state_dict': state}).report
    assert 'module.encoder_q_extra.conv1.weight' in report.dropped
    assert 'xmodule.encoder_q.layer1.0.conv1.weight' in report.dropped
    assert not any(k.startswith(('module.encoder_q_extra', 'xmodule')) for k in report.kept)


def test_unknown_layout_error_lists_top_level_keys_and_common_prefixes(moco_checkpoint):
    checkpoint = _renamed(moco_checkpoint, 'module.encoder_q.', 'backbone.')
    with pytest.raises(CheckpointError) as info:
        detect_format(checkpoint, filename='weird.pth')
    message = str(info.value)
    assert message.startswith('weird.pth: unknown checkpoint layout')
    assert "top-level keys ['epoch', 'arch', 'state_dict', 'optimizer']" in message
    assert "'backbone.layer3' x" in message and "'module.encoder_k' x" in message
    assert '\n' not in message


def test_a_head_prefix_inside_a_key_name_is_not_a_head(toy_checkpoints):
    # 'fc.' drops only keys that *start* with it after stripping; a backbone key containing 'fc' elsewhere
    # (here a fake one) is not silently dropped but reported as unexpected.
    state = dict(load_checkpoint(toy_checkpoint_path(toy_checkpoints, 'supervised')).obj)
    state['layer1.0.fc.weight'] = torch.zeros(1)
    with pytest.raises(CheckpointError, match=r'unexpected keys .*layer1\.0\.fc\.weight'):
        convert(state)


def test_swav_family_prototypes_are_dropped_by_prefix(toy_checkpoints):
    report = convert(toy_checkpoint_path(toy_checkpoints, 'deepclusterv2')).report
    assert sorted(k for k in report.dropped if 'prototypes' in k) == [
        f'module.prototypes.prototypes{i}.weight' for i in range(3)]
    assert all(k.startswith(('module.projection_head.', 'module.prototypes.')) for k in report.dropped)
