"""SSLResNet: strict loading of every zoo format, torchvision parity, frozen stages, registries."""
import math

import pytest
import torch
import torch.nn as nn
from mmengine.registry import DefaultScope
from torch.nn.modules.batchnorm import _BatchNorm

from mmssl_transfer.checkpoints import ZOO, CheckpointError, convert
from mmssl_transfer.models import SSLResNet
from mmssl_transfer.toy.checkpoints import make_toy_checkpoints, toy_checkpoint_path

from tests.conftest import TOY_WIDTH


def torchvision_resnet50(width: int = 64) -> nn.Module:
    """torchvision's ResNet-50 at any width (stem and first stage ``width``), pooled features out."""
    from torchvision.models.resnet import Bottleneck, ResNet
    if width == 64:
        model = ResNet(Bottleneck, [3, 4, 6, 3])
    else:
        model = ResNet.__new__(ResNet)
        nn.Module.__init__(model)
        model._norm_layer, model.inplanes, model.dilation, model.groups, model.base_width = (
            nn.BatchNorm2d, width, 1, 1, 64)
        model.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        model.bn1 = nn.BatchNorm2d(width)
        model.relu = nn.ReLU(inplace=True)
        model.maxpool = nn.MaxPool2d(3, 2, 1)
        model.layer1 = model._make_layer(Bottleneck, width, 3)
        model.layer2 = model._make_layer(Bottleneck, width * 2, 4, stride=2)
        model.layer3 = model._make_layer(Bottleneck, width * 4, 6, stride=2)
        model.layer4 = model._make_layer(Bottleneck, width * 8, 3, stride=2)
        model.avgpool = nn.AdaptiveAvgPool2d(1)
    model.fc = nn.Identity()
    return model


def pooled(backbone: SSLResNet, x: torch.Tensor) -> torch.Tensor:
    return backbone(x)[-1].mean(dim=(2, 3))


@pytest.mark.parametrize('method', sorted(ZOO))
def test_every_zoo_format_loads_strictly_and_matches_torchvision(toy_checkpoints, method):
    path = toy_checkpoint_path(toy_checkpoints, method)
    backbone = SSLResNet(checkpoint=path, base_channels=TOY_WIDTH)
    backbone.init_weights()
    assert backbone.conversion_report.method == method
    reference = torchvision_resnet50(TOY_WIDTH)
    reference.load_state_dict(convert(path).state_dict, strict=False)  # strict-ok: reference has no fc
    missing = set(reference.state_dict()) - set(convert(path).state_dict)
    assert all(k.endswith('num_batches_tracked') for k in missing), missing
    backbone.eval(), reference.eval()
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        diff = (pooled(backbone, x) - reference(x)).abs().max().item()
    assert diff < 1e-5


def test_full_width_checkpoint_matches_torchvision_resnet50(tmp_path):
    folder = make_toy_checkpoints(tmp_path, seed=1, base_channels=64, methods=['mocov2'])
    path = toy_checkpoint_path(folder, 'mocov2')
    backbone = SSLResNet(checkpoint=path)
    backbone.init_weights()
    reference = torchvision_resnet50()
    reference.load_state_dict(convert(path).state_dict, strict=True)
    assert sum(p.numel() for p in backbone.parameters()) == sum(p.numel() for p in reference.parameters())
    backbone.eval(), reference.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert (pooled(backbone, x) - reference(x)).abs().max().item() < 1e-5


def test_random_init_without_checkpoint_has_no_report():
    backbone = SSLResNet(checkpoint=None, base_channels=TOY_WIDTH)
    backbone.init_weights()
    assert backbone.conversion_report is None
    assert [o.shape[1] for o in backbone(torch.randn(2, 3, 64, 64))] == [32, 64, 128, 256]


def test_width_mismatch_is_a_clear_error(toy_checkpoints):
    path = toy_checkpoint_path(toy_checkpoints, 'swav')
    with pytest.raises(ValueError, match='base_channels=8'):
        SSLResNet(checkpoint=path, base_channels=16).init_weights()


def test_missing_checkpoint_file_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match='nothere.pth'):
        SSLResNet(checkpoint=tmp_path / 'nothere.pth', base_channels=TOY_WIDTH).init_weights()


def test_checkpoint_missing_a_backbone_key_is_refused(toy_checkpoints, tmp_path):
    state = convert(toy_checkpoint_path(toy_checkpoints, 'supervised')).state_dict
    del state['layer3.2.conv2.weight']
    torch.save(state, tmp_path / 'partial.pth')
    with pytest.raises(CheckpointError, match='layer3.2.conv2.weight'):
        SSLResNet(checkpoint=tmp_path / 'partial.pth', base_channels=TOY_WIDTH).init_weights()


def check_norm_state(modules, train_state: bool) -> bool:
    return all(m.training == train_state for m in modules if isinstance(m, _BatchNorm))


@pytest.mark.parametrize('frozen_stages', [-1, 0, 1, 2, 3, 4])
def test_frozen_stages_stay_frozen_and_in_eval_after_train(toy_checkpoints, frozen_stages):
    backbone = SSLResNet(checkpoint=toy_checkpoint_path(toy_checkpoints, 'byol'), base_channels=TOY_WIDTH,
                         frozen_stages=frozen_stages)
    backbone.init_weights()
    backbone.train()
    stem = [backbone.conv1, backbone.bn1]
    stem_frozen = frozen_stages >= 0
    assert all(p.requires_grad != stem_frozen for m in stem for p in m.parameters())
    assert backbone.bn1.training != stem_frozen
    for i in range(1, 5):
        layer = getattr(backbone, f'layer{i}')
        frozen = i <= frozen_stages
        assert all(p.requires_grad != frozen for p in layer.parameters()), (i, frozen_stages)
        assert check_norm_state(layer.modules(), train_state=not frozen)
    out = backbone(torch.randn(2, 3, 64, 64))
    assert len(out) == 4


@pytest.mark.parametrize('norm_eval', [False, True])
def test_norm_eval_keeps_every_bn_in_eval_mode(norm_eval):
    backbone = SSLResNet(base_channels=TOY_WIDTH, norm_eval=norm_eval)
    backbone.train()
    assert check_norm_state(backbone.modules(), train_state=not norm_eval)
    assert all(p.requires_grad for p in backbone.parameters())


def test_dilated_output_stride_8():
    backbone = SSLResNet(base_channels=TOY_WIDTH, strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4))
    outs = backbone(torch.randn(2, 3, 64, 64))
    assert [o.shape[-1] for o in outs] == [16, 8, 8, 8]


def nostride_dilate(resnet: nn.Module) -> nn.Module:
    """The paper's normals encoder (ssl-transfer@416913f surface-normal-estimation/models/models.py L298-302 and
    L339-352, ``ResnetDilated(dilate_scale=8)._nostride_dilate``) applied to a torchvision ResNet: in layer3
    (dilate 2) and layer4 (dilate 4) a conv with stride 2 gets stride 1 and, if 3x3, dilation and padding
    dilate // 2; every other 3x3 conv gets dilation and padding dilate."""
    for layer, dilate in ((resnet.layer3, 2), (resnet.layer4, 4)):
        for module in layer.modules():
            if isinstance(module, nn.Conv2d):
                if module.stride == (2, 2):
                    module.stride = (1, 1)
                    if module.kernel_size == (3, 3):
                        module.dilation = module.padding = (dilate // 2, dilate // 2)
                elif module.kernel_size == (3, 3):
                    module.dilation = module.padding = (dilate, dilate)
    return resnet


def test_contract_dilation_is_the_papers_nostride_dilate(toy_checkpoints):
    kwargs = dict(base_channels=TOY_WIDTH, strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4))
    backbone = SSLResNet(checkpoint=toy_checkpoint_path(toy_checkpoints, 'byol'), contract_dilation=True, **kwargs)
    # first block of layer3 / layer4 at dilation 1 / 2 (the conv that had stride 2), the others at 2 / 4
    for name, first, rest in (('layer3', 1, 2), ('layer4', 2, 4)):
        convs = [block.conv2 for block in getattr(backbone, name)]
        assert [(c.dilation, c.padding, c.stride) for c in convs] == (
            [((first, first), (first, first), (1, 1))] + [((rest, rest), (rest, rest), (1, 1))] * (len(convs) - 1))
        assert getattr(backbone, name)[0].downsample[0].stride == (1, 1)
    for name in ('layer1', 'layer2'):
        assert {block.conv2.dilation for block in getattr(backbone, name)} == {(1, 1)}
    backbone.init_weights()
    reference = nostride_dilate(torchvision_resnet50(TOY_WIDTH))
    reference.load_state_dict(convert(toy_checkpoint_path(toy_checkpoints, 'byol')).state_dict, strict=False)  # no fc
    backbone.eval(), reference.eval()
    x = torch.randn(1, 3, 64, 80, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ours = backbone(x)[-1]
        theirs = reference.layer4(reference.layer3(reference.layer2(reference.layer1(
            reference.maxpool(reference.relu(reference.bn1(reference.conv1(x))))))))
    assert ours.shape == theirs.shape == (1, 32 * TOY_WIDTH, 8, 10)  # output stride 8
    assert (ours - theirs).abs().max().item() < 1e-5
    # without contraction every block of the stage is dilated: different features
    uncontracted = SSLResNet(checkpoint=toy_checkpoint_path(toy_checkpoints, 'byol'), **kwargs)
    uncontracted.init_weights()
    assert uncontracted.layer3[0].conv2.dilation == (2, 2)
    with torch.no_grad():
        assert (uncontracted.eval()(x)[-1] - ours).abs().max().item() > 1e-3


def test_contract_dilation_matches_mmsegs_resnet_argument():
    from mmseg.models.backbones import ResNet as MMSegResNet
    kwargs = dict(strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), contract_dilation=True)
    ours = SSLResNet(base_channels=TOY_WIDTH, **kwargs)
    theirs = MMSegResNet(depth=50, base_channels=TOY_WIDTH, stem_channels=TOY_WIDTH, **kwargs)
    for name in ('layer1', 'layer2', 'layer3', 'layer4'):
        assert ([(b.conv2.dilation, b.conv2.padding, b.conv2.stride) for b in getattr(ours, name)]
                == [(b.conv2.dilation, b.conv2.padding, b.conv2.stride) for b in getattr(theirs, name)]), name


def test_simclr_expects_unit_range_input(toy_checkpoints):
    simclr = SSLResNet(checkpoint=toy_checkpoint_path(toy_checkpoints, 'simclrv2'), base_channels=TOY_WIDTH)
    assert simclr.input_normalization == dict(mean=[0.0, 0.0, 0.0], std=[255.0, 255.0, 255.0])
    byol = SSLResNet(checkpoint=toy_checkpoint_path(toy_checkpoints, 'byol'), base_channels=TOY_WIDTH,
                     method='byol')
    assert byol.input_normalization['mean'] == pytest.approx([123.675, 116.28, 103.53])


def test_architecture_arguments_that_break_the_checkpoint_layout_are_refused():
    with pytest.raises(ValueError, match='deep_stem'):
        SSLResNet(deep_stem=True)
    with pytest.raises(ValueError, match='norm_cfg'):
        SSLResNet(norm_cfg=dict(type='GN', num_groups=4))


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg', 'mmpretrain'])
def test_registered_in_every_host_registry(scope):
    import importlib
    registry = importlib.import_module(f'{scope}.registry').MODELS
    with DefaultScope.overwrite_default_scope(scope):
        backbone = registry.build(dict(type='SSLResNet', base_channels=TOY_WIDTH, frozen_stages=2))
    assert isinstance(backbone, SSLResNet) and backbone.frozen_stages == 2


def _tf_same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's 'SAME' padding of one dimension, written from TF's rule."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _fixed_pads(kernel: int) -> tuple[int, int]:
    """google-research/simclr ``fixed_padding`` (then VALID), which is PyTorch's symmetric padding."""
    return (kernel - 1) // 2, kernel - 1 - (kernel - 1) // 2


def reference_forward(model: SSLResNet, x: torch.Tensor, convs: str, maxpool: str) -> torch.Tensor:
    """The ResNet-50 forward pass with explicit padding: ``'same'`` (TF rule) or ``'fixed'`` (symmetric)."""
    F = torch.nn.functional

    def pad(x, kernel, stride, rule, value=0.0):
        (top, bottom), (left, right) = ((_tf_same_pads(n, kernel, stride) if rule == 'same' else _fixed_pads(kernel))
                                        for n in x.shape[-2:])
        return F.pad(x, (left, right, top, bottom), value=value)

    def conv_bn(conv, bn, x):
        x = F.conv2d(pad(x, conv.kernel_size[0], conv.stride[0], convs), conv.weight, stride=conv.stride)
        return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)

    x = F.relu(conv_bn(model.conv1, model.norm1, x))
    if maxpool == 'same':
        x = F.max_pool2d(pad(x, 3, 2, 'same', float('-inf')), 3, 2)
    else:
        x = F.max_pool2d(x, 3, 2, 1)
    for name in model.res_layers:
        for block in getattr(model, name):
            out = F.relu(conv_bn(block.conv1, block.norm1, x))
            out = F.relu(conv_bn(block.conv2, block.norm2, out))
            out = conv_bn(block.conv3, block.norm3, out)
            identity = conv_bn(block.downsample[0], block.downsample[1], x) if block.downsample is not None else x
            x = F.relu(out + identity)
    return x


@pytest.mark.parametrize('size', [64, 57])
@pytest.mark.parametrize('setting, convs, maxpool', [('none', 'fixed', 'fixed'),  # PyTorch, the paper
                                                     ('maxpool', 'fixed', 'same'),  # google-research/simclr
                                                     ('all', 'same', 'same')])  # Haiku (BYOL)
def test_tf_same_padding_per_layer_kind_equals_the_tf_rule_reference(toy_checkpoints, size, setting, convs,
                                                                     maxpool):
    path = toy_checkpoint_path(toy_checkpoints, 'byol')
    model = SSLResNet(checkpoint=path, base_channels=TOY_WIDTH, tf_same_padding=setting)
    model.init_weights()
    model.eval()
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(size))
    with torch.no_grad():
        out = model(x)[-1]
        torch.testing.assert_close(out, reference_forward(model, x, convs, maxpool), rtol=1e-5, atol=1e-5)
        rules = (('fixed', 'fixed'), ('fixed', 'same'), ('same', 'same'))
        others = [(c, m) for c, m in rules if (c, m) != (convs, maxpool)]
        if size % 2 == 0:  # on even sizes every rule pads differently: the reference tells the settings apart
            assert all(not torch.allclose(out, reference_forward(model, x, c, m), atol=1e-4) for c, m in others)


def test_tf_same_padding_keeps_the_keys_and_swaps_only_the_named_layer_kinds(toy_checkpoints):
    from mmssl_transfer.models.layers import Conv2dTFSame, MaxPool2dTFSame
    path = toy_checkpoint_path(toy_checkpoints, 'byol')
    plain = SSLResNet(checkpoint=path, base_channels=TOY_WIDTH)
    simclr = SSLResNet(checkpoint=path, base_channels=TOY_WIDTH, tf_same_padding='maxpool')
    haiku = SSLResNet(checkpoint=path, base_channels=TOY_WIDTH, tf_same_padding='all')
    assert set(plain.state_dict()) == set(simclr.state_dict()) == set(haiku.state_dict())
    assert type(simclr.maxpool) is MaxPool2dTFSame and type(simclr.conv1) is nn.Conv2d
    assert type(simclr.layer2[0].conv2) is nn.Conv2d
    assert type(haiku.maxpool) is MaxPool2dTFSame and type(haiku.conv1) is Conv2dTFSame
    assert type(haiku.layer2[0].conv2) is Conv2dTFSame and type(haiku.layer2[0].downsample[0]) is Conv2dTFSame
    assert type(haiku.layer2[0].conv1) is nn.Conv2d  # stride-1 layers pad the same in both frameworks
    with pytest.raises(ValueError, match="tf_same_padding must be one of"):
        SSLResNet(tf_same_padding=True)


@pytest.mark.parametrize('method, kinds', [('simclrv1', (nn.Conv2d, 'MaxPool2dTFSame')),
                                           ('byol', ('Conv2dTFSame', 'MaxPool2dTFSame')),
                                           ('mocov2', (nn.Conv2d, nn.MaxPool2d))])
def test_tf_same_padding_as_trained_follows_the_zoo_row(toy_checkpoints, method, kinds):
    path = toy_checkpoint_path(toy_checkpoints, method)
    given = SSLResNet(checkpoint=path, method=method, base_channels=TOY_WIDTH, tf_same_padding='as_trained')
    detected = SSLResNet(checkpoint=path, base_channels=TOY_WIDTH, tf_same_padding='as_trained')
    detected.init_weights()  # the method is known once the file is detected
    for model in (given, detected):
        found = (type(model.conv1), type(model.maxpool))
        assert [k if isinstance(k, str) else k.__name__ for k in kinds] == [t.__name__ for t in found]
