"""The zoo table: all 16 methods, their names, URLs, normalisation, and the analytic ResNet-50 layout."""
import pytest

from mmssl_transfer.checkpoints import ZOO, get_method, resnet50_shapes
from mmssl_transfer.checkpoints.zoo import FAMILIES

PAPER_ORDER = ['insdis', 'mocov1', 'pclv1', 'pirl', 'pclv2', 'simclrv1', 'mocov2', 'simclrv2', 'selav2', 'infomin',
               'byol', 'deepclusterv2', 'swav', 'supervised', 'barlowtwins', 'dino']


def test_zoo_lists_the_16_methods_in_paper_order_with_in_paper_flags():
    assert list(ZOO) == PAPER_ORDER
    assert [m for m, s in ZOO.items() if not s.in_paper] == ['barlowtwins', 'dino']
    paper_top1 = [ZOO[m].imagenet_top1 for m in PAPER_ORDER[:14]]
    assert paper_top1 == sorted(paper_top1)  # the paper orders methods by ImageNet top-1
    assert ZOO['byol'].imagenet_top1 == 74.3 and ZOO['supervised'].imagenet_top1 == 77.2


def test_every_spec_has_family_official_https_urls_and_a_filename():
    for spec in ZOO.values():
        assert spec.family in FAMILIES
        assert spec.urls and all(u.startswith('https://') for u in spec.urls)
        assert spec.filename
    assert ZOO['mocov2'].urls[0] == ('https://dl.fbaipublicfiles.com/moco/moco_checkpoints/moco_v2_800ep/'
                                     'moco_v2_800ep_pretrain.pth.tar')
    assert ZOO['byol'].urls[0] == 'https://storage.googleapis.com/deepmind-byol/checkpoints/pretrain_res50x1.pkl'
    assert ZOO['swav'].urls[0] == 'https://dl.fbaipublicfiles.com/deepcluster/swav_800ep_pretrain.pth.tar'


@pytest.mark.parametrize('alias, name', [('moco-v2', 'mocov2'), ('MoCo-v2', 'mocov2'), ('moco_v2', 'mocov2'),
                                         ('DeepCluster-v2', 'deepclusterv2'), ('sela-v2', 'selav2'),
                                         ('SimCLR-v1', 'simclrv1'), ('Barlow Twins', 'barlowtwins'),
                                         ('BYOL', 'byol'), ('torchvision', 'supervised')])
def test_get_method_accepts_aliases(alias, name):
    assert get_method(alias).name == name


def test_get_method_unknown_name_lists_the_zoo():
    with pytest.raises(KeyError, match='known: insdis'):
        get_method('mocov9')


def test_simclr_expects_unit_range_input_and_everything_else_imagenet_normalisation():
    for spec in ZOO.values():
        if spec.name.startswith('simclr'):
            assert (spec.mean, spec.std) == ([0.0] * 3, [255.0] * 3)
        else:
            assert (spec.mean, spec.std) == ([123.675, 116.28, 103.53], [58.395, 57.12, 57.375])


def test_analytic_layout_equals_torchvision_resnet50_without_fc():
    import torchvision
    reference = {k: tuple(v.shape) for k, v in torchvision.models.resnet50().state_dict().items()
                 if not k.startswith('fc.')}
    assert dict(resnet50_shapes(64)) == reference
    assert list(resnet50_shapes(64)) == list(reference)  # same order too


def test_layout_of_toy_width_scales_every_stage():
    shapes = resnet50_shapes(8)
    assert shapes['conv1.weight'] == (8, 3, 7, 7)
    assert shapes['layer4.2.conv3.weight'] == (256, 64, 1, 1)
    assert shapes['layer2.0.downsample.0.weight'] == (64, 32, 1, 1)
    assert len(shapes) == 318


def test_same_padding_is_recorded_per_layer_kind_as_each_method_was_trained():
    # google-research/simclr: fixed_padding + VALID for strided convs, SAME only for the stem max-pool;
    # Haiku (BYOL): SAME everywhere; PyTorch-trained methods: none
    assert {m: s.tf_same_padding for m, s in ZOO.items() if s.tf_same_padding != 'none'} == {
        'simclrv1': 'maxpool', 'simclrv2': 'maxpool', 'byol': 'all'}


def test_release_metadata_matches_the_authors_pages():
    assert ZOO['simclrv1'].filename == 'resnet50-1x.pth'  # tonylins/simclr-converter's output name
    assert ZOO['barlowtwins'].imagenet_top1 == 73.5 and 'ljng/resnet50.pth' in ZOO['barlowtwins'].top1_source
    assert ZOO['barlowtwins'].urls[0].endswith('/ljng/resnet50.pth')
    assert (ZOO['mocov1'].md5_prefix, ZOO['mocov2'].md5_prefix) == ('b251726a', 'a04e12f8')
    assert ZOO['barlowtwins'].known_filenames == ()  # 'resnet50.pth' is too generic to say Barlow Twins
    assert ZOO['supervised'].known_filenames == ('resnet50-19c8e357.pth', 'resnet50-0676ba61.pth')
    assert ZOO['pclv2'].known_filenames == ('pcl_v2_epoch200.pth.tar',)
