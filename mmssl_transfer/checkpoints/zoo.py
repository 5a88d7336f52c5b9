"""The model zoo: one declarative row per pre-trained ResNet-50 of Ericsson et al. (CVPR 2021), plus two newer ones,
and one row per self-supervised ViT release (DINO, MoCo v3, MAE, iBOT, DINOv2; :data:`VIT_ZOO`).

Each :class:`MethodSpec` says where the official file lives, how its keys are laid out (container, prefix to keep
and strip, heads to drop, which key map) and what input normalisation the network expects; a ViT row also its
architecture (:class:`~.vit_layout.ViTArch`), pretraining data and its own linear-evaluation feature. Format detection
(:mod:`.formats`) and conversion (:mod:`.convert`) read only this table; adding a method is adding a row.

URLs are the ones the paper's code base (``linusericsson/ssl-transfer``: readme.md and
download_and_prepare_models.py) and the method authors publish. SimCLR-v1/v2 are released as TensorFlow
checkpoints: convert them first with tonylins/simclr-converter (v1) or Separius/SimCLRv2-Pytorch (v2), as the
paper did; this zoo then converts the resulting PyTorch file.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from .vit_layout import ViTArch

#: Input normalisation per convention, in 0-255 pixel units (what mmdet/mmseg/mmpretrain preprocessors take).
NORMALIZATIONS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    'imagenet': ((123.675, 116.28, 103.53), (58.395, 57.12, 57.375)),
    'unit': ((0.0, 0.0, 0.0), (255.0, 255.0, 255.0)),  # SimCLR: the network sees [0, 1] pixels
}

FAMILIES = ('contrastive', 'clustering', 'supervised', 'other')
#: A row's architecture (:attr:`MethodSpec.architecture`) as messages name it.
ARCHITECTURE_NAMES = {'resnet50': 'ResNet-50', 'vit': 'ViT'}
KEY_MAP_KINDS = ('prefix', 'simclrv2', 'byol_haiku', 'timm_vit', 'mmpretrain_vit')
#: The key maps of ViT rows: the authors' (timm) names, and our converted files' mmpretrain names
#: (:func:`~.formats.as_converted`).
VIT_KEY_MAPS = ('timm_vit', 'mmpretrain_vit')
#: Which layers a method's training framework padded TensorFlow-'SAME' style (asymmetric on even inputs):
#: ``'none'`` (PyTorch), ``'maxpool'`` (google-research/simclr: strided convs are padded symmetrically with
#: ``fixed_padding`` then VALID; only the stem max-pool is SAME) or ``'all'`` (Haiku: SAME everywhere).
TF_SAME_PADDING = ('none', 'maxpool', 'all')


@dataclass(frozen=True)
class MethodSpec:
    """One zoo row.

    Attributes:
        name: Short id used everywhere (configs, results), e.g. ``'mocov2'``.
        paper_name: Name as printed in the paper's tables, e.g. ``'MoCo-v2'``.
        family: One of :data:`FAMILIES`.
        imagenet_top1: ImageNet linear-evaluation top-1 (%) as listed in the paper (Table 1) or by the authors.
        top1_source: Where ``imagenet_top1`` comes from when it is not the paper's Table 1.
        urls: Official download URL(s), primary first.
        filename: File name of the official release (of the converted PyTorch file for SimCLR).
        release_names: File names that identify this method's file when its layout is shared with other methods
            (default: ``filename`` and the URLs' file names). Empty for a name too generic to tell (Barlow Twins'
            ``resnet50.pth``).
        container: Top-level key holding the state dict (``None``: the file is the state dict itself).
        alt_containers: Other top-level keys under which tools store this same layout (a torchvision state dict
            wrapped as ``{'state_dict': ...}`` by mmselfsup's ``extract_backbone_weights.py``, ssl-transfer's
            ``convert_byol``, mmengine checkpoints and our own ``.pth`` files).
        keep_prefix: Keys that start with this belong to the backbone; it is stripped. ``''`` keeps all.
        drop_prefixes: After stripping, keys that start with one of these are heads and are dropped
            (for ``byol_haiku``: Haiku module roots to drop). Keys outside ``keep_prefix`` (PyContrast's
            ``module.head``/``module.head_jig``, MoCo's ``module.encoder_k``/``module.queue``) are dropped too.
        key_map: ``'prefix'`` (strip and keep torchvision names), ``'simclrv2'`` (SimCLRv2-Pytorch names) or
            ``'byol_haiku'`` (Haiku module paths of the BYOL pickle).
        normalization: ``'imagenet'`` or ``'unit'`` (see :data:`NORMALIZATIONS`).
        in_paper: Whether the paper evaluates this method.
        markers: Source-key prefixes (keys inside the container, unstripped) that must be present for format
            detection to pick this method, e.g. MoCo-v2's MLP head ``module.encoder_q.fc.0.``.
        absent_markers: Source-key prefixes that must be absent for format detection to pick this method.
        absent_entries: Top-level entries of the file that rule this row out, whatever container holds the
            backbone: a DINO full checkpoint saves ``dino_loss`` where iBOT's saves ``ibot_loss``, and their
            ``teacher`` state dicts are alike.
        direct_download: ``False`` when the official file is not the PyTorch checkpoint we convert.
        how_to_get: One line for users when ``direct_download`` is False.
        sha256: Known checksum of the official file, if recorded.
        md5_prefix: Leading hex digits of the official file's md5, as its authors publish them (MoCo's README).
        aliases: Extra names accepted by :func:`get_method`.
        pretraining_data: The images the backbone was (self-)supervised on (Kotar et al. 2021 compare ImageNet,
            its unbalanced subsets, Places, Taskonomy and Kinetics); ``'imagenet-1k'`` for every row but DINOv2's
            (``'lvd-142m'``).
        tf_same_padding: Layers the training framework padded 'SAME' (see :data:`TF_SAME_PADDING`): SAME pads
            asymmetrically on even inputs (one pixel more at the bottom/right). The paper ignored this (symmetric
            PyTorch padding everywhere); ``SSLResNet(tf_same_padding='as_trained')`` applies it.
        vit: The architecture of a ViT row (``None`` for the ResNet-50 rows); see :class:`~.vit_layout.ViTArch`.
        strip_prefixes: After ``keep_prefix``, wrapper prefixes removed from every key, as the authors' own loader
            does (DINO/iBOT ``utils.load_pretrained_weights`` strips ``module.`` and ``backbone.``, so a full
            checkpoint's ``teacher`` loads like the backbone-only file).
        linear_feature: The method's own linear-evaluation feature (a name of
            :data:`mmssl_transfer.models.backbones.ssl_vit.VIT_FEATURES`), run as a named probe variant.
    """

    name: str
    paper_name: str
    family: str
    imagenet_top1: float
    urls: tuple[str, ...]
    filename: str
    container: str | None
    keep_prefix: str
    drop_prefixes: tuple[str, ...]
    key_map: str = 'prefix'
    normalization: str = 'imagenet'
    in_paper: bool = True
    markers: tuple[str, ...] = ()
    absent_markers: tuple[str, ...] = ()
    absent_entries: tuple[str, ...] = ()
    alt_containers: tuple[str, ...] = ()
    release_names: tuple[str, ...] | None = None
    top1_source: str = ''
    direct_download: bool = True
    how_to_get: str = ''
    sha256: str | None = None
    md5_prefix: str | None = None
    aliases: tuple[str, ...] = field(default=())
    tf_same_padding: str = 'none'
    pretraining_data: str = 'imagenet-1k'
    vit: ViTArch | None = None
    strip_prefixes: tuple[str, ...] = ()
    linear_feature: str = ''

    def __post_init__(self) -> None:
        assert self.family in FAMILIES, self.family
        assert self.key_map in KEY_MAP_KINDS, self.key_map
        assert self.normalization in NORMALIZATIONS, self.normalization
        assert self.tf_same_padding in TF_SAME_PADDING, self.tf_same_padding
        assert (self.vit is not None) == (self.key_map in VIT_KEY_MAPS), self.name

    @property
    def architecture(self) -> str:
        """``'resnet50'`` or ``'vit'`` (:data:`ARCHITECTURE_NAMES`)."""
        return 'resnet50' if self.vit is None else 'vit'

    @property
    def known_filenames(self) -> tuple[str, ...]:
        """File names (lower case) that say a file is this method's release (see ``release_names``)."""
        if self.release_names is not None:
            return tuple(n.lower() for n in self.release_names)
        from_urls = [u.rstrip('/').rsplit('/', 1)[-1] for u in self.urls] if self.direct_download else []
        return tuple(dict.fromkeys(n.lower() for n in (self.filename, *from_urls)))

    @property
    def containers(self) -> tuple[str | None, ...]:
        """``container`` first, then ``alt_containers``."""
        return (self.container, *self.alt_containers)

    @property
    def mean(self) -> list[float]:
        """Per-channel input mean in 0-255 pixel units (RGB)."""
        return list(NORMALIZATIONS[self.normalization][0])

    @property
    def std(self) -> list[float]:
        """Per-channel input std in 0-255 pixel units (RGB)."""
        return list(NORMALIZATIONS[self.normalization][1])

    @property
    def extension(self) -> str:
        """Extension of the official file (``'.pth.tar'``, ``'.pth'`` or ``'.pkl'``)."""
        return '.pth.tar' if self.filename.endswith('.pth.tar') else '.' + self.filename.rsplit('.', 1)[-1]


_PYCONTRAST = 'https://www.dropbox.com/sh/87d24jqsl6ra7t2'
_MOCO = 'https://dl.fbaipublicfiles.com/moco/moco_checkpoints'
_PCL = 'https://storage.googleapis.com/sfr-pcl-data-research/PCL_checkpoint'
_FAIR_CLUSTER = 'https://dl.fbaipublicfiles.com/deepcluster'
_SWAV_HEADS = ('projection_head.', 'prototypes.')
#: Where third-party tools put a torchvision state dict: mmselfsup's extract_backbone_weights.py
#: (``dict(state_dict=..., author='MMSelfSup')``), ssl-transfer's convert_byol, mmengine checkpoints.
_WRAPPED = ('state_dict',)

_SPECS = (
    MethodSpec('insdis', 'InsDis', 'contrastive', 59.5, (f'{_PYCONTRAST}/AACcsSIt1_Njv7GsmsuzZ6Sta/InsDis.pth',),
               'InsDis.pth', 'model', 'module.encoder.', ('fc.',),
               markers=('module.head.',), absent_markers=('module.head_jig.',)),
    MethodSpec('mocov1', 'MoCo-v1', 'contrastive', 60.6, (f'{_MOCO}/moco_v1_200ep/moco_v1_200ep_pretrain.pth.tar',),
               'moco_v1_200ep_pretrain.pth.tar', 'state_dict', 'module.encoder_q.', ('fc.',),
               markers=('module.encoder_q.fc.weight',), md5_prefix='b251726a'),
    MethodSpec('pclv1', 'PCL-v1', 'contrastive', 61.5, (f'{_PCL}/PCL_v1_epoch200.pth.tar',),
               'PCL_v1_epoch200.pth.tar', 'state_dict', 'module.encoder_q.', ('fc.',),
               markers=('module.encoder_q.fc.weight',)),
    MethodSpec('pirl', 'PIRL', 'contrastive', 61.7, (f'{_PYCONTRAST}/AADN4jKnvTI0U5oT6hTmQZz8a/PIRL.pth',),
               'PIRL.pth', 'model', 'module.encoder.', ('fc.',),
               markers=('module.head_jig.',), absent_markers=('module.head.2.',)),
    MethodSpec('pclv2', 'PCL-v2', 'contrastive', 67.6, (f'{_PCL}/PCL_v2_epoch200.pth.tar',),
               'PCL_v2_epoch200.pth.tar', 'state_dict', 'module.encoder_q.', ('fc.',),
               markers=('module.encoder_q.fc.0.', 'module.encoder_q.fc.2.')),
    MethodSpec('simclrv1', 'SimCLR-v1', 'contrastive', 69.3,
               ('https://storage.cloud.google.com/simclr-gcs/checkpoints/ResNet50_1x.zip',),
               'resnet50-1x.pth', 'state_dict', '', ('fc.',), normalization='unit', direct_download=False,
               tf_same_padding='maxpool',
               how_to_get='download the TensorFlow ResNet50_1x checkpoint and convert it with '
               'tonylins/simclr-converter (which writes resnet50-1x.pth), then pass the .pth file'),
    MethodSpec('mocov2', 'MoCo-v2', 'contrastive', 71.1, (f'{_MOCO}/moco_v2_800ep/moco_v2_800ep_pretrain.pth.tar',),
               'moco_v2_800ep_pretrain.pth.tar', 'state_dict', 'module.encoder_q.', ('fc.',),
               markers=('module.encoder_q.fc.0.', 'module.encoder_q.fc.2.'), md5_prefix='a04e12f8'),
    MethodSpec('simclrv2', 'SimCLR-v2', 'contrastive', 71.7,
               ('https://console.cloud.google.com/storage/browser/simclr-checkpoints/simclrv2/pretrained/r50_1x_sk0',
                'https://storage.googleapis.com/simclr-checkpoints/simclrv2/pretrained/r50_1x_sk0/'),
               'r50_1x_sk0.pth', 'resnet', '', ('fc.',), key_map='simclrv2', normalization='unit',
               direct_download=False, tf_same_padding='maxpool',
               how_to_get='download the TensorFlow r50_1x_sk0 checkpoint and convert it with '
               'Separius/SimCLRv2-Pytorch (convert.py), then pass the .pth file'),
    MethodSpec('selav2', 'SeLa-v2', 'clustering', 71.8, (f'{_FAIR_CLUSTER}/selav2_400ep_pretrain.pth.tar',),
               'selav2_400ep_pretrain.pth.tar', None, 'module.', _SWAV_HEADS,
               markers=('module.prototypes.prototypes0.',), aliases=('sela',)),
    MethodSpec('infomin', 'InfoMin', 'contrastive', 73.0, (f'{_PYCONTRAST}/AAAzMTynP3Qc8mIE4XWkgILUa/InfoMin_800.pth',),
               'InfoMin_800.pth', 'model', 'module.encoder.', ('fc.',),
               markers=('module.head_jig.', 'module.head.2.')),
    MethodSpec('byol', 'BYOL', 'other', 74.3,
               ('https://storage.googleapis.com/deepmind-byol/checkpoints/pretrain_res50x1.pkl',),
               'pretrain_res50x1.pkl', 'experiment_state', '', ('projector', 'predictor', 'classifier'),
               key_map='byol_haiku', tf_same_padding='all'),
    MethodSpec('deepclusterv2', 'DeepCluster-v2', 'clustering', 75.2,
               (f'{_FAIR_CLUSTER}/deepclusterv2_800ep_pretrain.pth.tar',),
               'deepclusterv2_800ep_pretrain.pth.tar', None, 'module.', _SWAV_HEADS,
               markers=('module.prototypes.prototypes0.',), aliases=('deepcluster', 'dcv2')),
    MethodSpec('swav', 'SwAV', 'clustering', 75.3, (f'{_FAIR_CLUSTER}/swav_800ep_pretrain.pth.tar',),
               'swav_800ep_pretrain.pth.tar', None, 'module.', _SWAV_HEADS,
               markers=('module.prototypes.weight',)),
    MethodSpec('supervised', 'Supervised', 'supervised', 77.2,
               ('https://download.pytorch.org/models/resnet50-19c8e357.pth',
                'https://download.pytorch.org/models/resnet50-0676ba61.pth'),
               'resnet50-19c8e357.pth', None, '', ('fc.',), alt_containers=_WRAPPED,
               aliases=('torchvision', 'imagenet')),
    MethodSpec('barlowtwins', 'Barlow Twins', 'other', 73.5,
               ('https://dl.fbaipublicfiles.com/barlowtwins/ljng/resnet50.pth',),
               'resnet50.pth', None, '', ('fc.',), alt_containers=_WRAPPED, in_paper=False, release_names=(),
               top1_source='facebookresearch/barlowtwins README for ljng/resnet50.pth (the paper reports 73.2 for '
               'the earlier ep1000 file that hubconf.py still points to)'),
    MethodSpec('dino', 'DINO', 'other', 75.3,
               ('https://dl.fbaipublicfiles.com/dino/dino_resnet50_pretrain/dino_resnet50_pretrain.pth',),
               'dino_resnet50_pretrain.pth', None, '', ('fc.',), alt_containers=_WRAPPED, in_paper=False,
               top1_source='facebookresearch/dino README (ResNet-50, linear evaluation)'),
)


def _vit(name: str, paper_name: str, family: str, top1: float, url: str, container: str | None, keep_prefix: str,
         drop: tuple[str, ...], arch: ViTArch, top1_source: str, **kwargs) -> MethodSpec:
    """A ViT row: not in the paper, ImageNet mean/std input, timm-style keys."""
    return MethodSpec(name, paper_name, family, top1, (url,), url.rsplit('/', 1)[-1], container, keep_prefix, drop,
                      key_map='timm_vit', in_paper=False, vit=arch, top1_source=top1_source, **kwargs)


_DINO_VIT = 'https://dl.fbaipublicfiles.com/dino'
_MOCOV3 = 'https://dl.fbaipublicfiles.com/moco-v3'
_IBOT = 'https://lf3-nlp-opensource.bytetos.com/obj/nlp-opensource/archive/2022/ibot'
_DINOV2 = 'https://dl.fbaipublicfiles.com/dinov2'
#: DINO/iBOT load with utils.load_pretrained_weights, which strips these from every key.
_DINO_STRIP = ('module.', 'backbone.')
#: Keys of a DINO-style checkpoint that are never backbone tensors (DINOv2's training-only mask token).
_DINOV2_EXTRA = ('mask_token', 'head.')
_VIT_S16 = ViTArch(384, 12, 6, 16, interpolate_offset=0.1)
_VIT_B16 = ViTArch(768, 12, 12, 16, interpolate_offset=0.1)
_DINOV2_S14 = ViTArch(384, 12, 6, 14, pos_grid=37, layer_scale=True, interpolate_offset=0.1)
_DINOV2_B14 = ViTArch(768, 12, 12, 14, pos_grid=37, layer_scale=True, interpolate_offset=0.1)
#: DINOv2's hub builds the _reg models with interpolate_offset=0.0, interpolate_antialias=True.
_REG4 = dict(num_register_tokens=4, interpolate_offset=0.0, interpolate_antialias=True)
#: DINOv2's linear eval: hub ``dinov2_vit*14_lc`` (default layers=4) and its ``linear4_head`` files.
_DINOV2_LINEAR = 'last4_cls_patch_mean'
_DINO_ABSENT = ('mask_token', 'register_tokens', 'blocks.0.ls1.', 'backbone.mask_token', 'backbone.blocks.0.ls1.')

#: The ViT releases (issue 25): each method's own file, container and prefixes, read from its save code. A full
#: training checkpoint of DINO (main_dino.py) or iBOT (main_ibot.py: ``checkpoint.pth``) holds ``student``
#: (``module.backbone.``), ``teacher`` (``backbone.``) and the loss state (``dino_loss`` / ``ibot_loss``): its
#: row takes the teacher, as the authors' backbone files do. Checksums: only MAE publishes one (the md5 prefix in
#: its README, verified on download); DINO's and DINOv2's hub URLs carry no hash suffix and the MoCo v3
#: (CONFIG.md) and iBOT (README) tables list none, so those rows have none.
_VIT_SPECS = (
    _vit('dino_vits16', 'DINO ViT-S/16', 'other', 77.0,
         f'{_DINO_VIT}/dino_deitsmall16_pretrain/dino_deitsmall16_pretrain.pth', None, '', ('head.',), _VIT_S16,
         'facebookresearch/dino README (linear)', alt_containers=('teacher',), strip_prefixes=_DINO_STRIP,
         absent_markers=_DINO_ABSENT, absent_entries=('ibot_loss',), linear_feature='last4_cls',
         release_names=('dino_deitsmall16_pretrain.pth', 'dino_deitsmall16_pretrain_full_checkpoint.pth'),
         aliases=('dino-vit-s16', 'dino_vit_small')),
    _vit('dino_vitb16', 'DINO ViT-B/16', 'other', 78.2,
         f'{_DINO_VIT}/dino_vitbase16_pretrain/dino_vitbase16_pretrain.pth', None, '', ('head.',), _VIT_B16,
         'facebookresearch/dino README (linear)', alt_containers=('teacher',), strip_prefixes=_DINO_STRIP,
         absent_markers=_DINO_ABSENT, absent_entries=('ibot_loss',), linear_feature='cls_patch_mean',
         release_names=('dino_vitbase16_pretrain.pth', 'dino_vitbase16_pretrain_full_checkpoint.pth'),
         aliases=('dino-vit-b16', 'dino_vit_base')),
    _vit('mocov3_vits', 'MoCo v3 ViT-S', 'contrastive', 73.2, f'{_MOCOV3}/vit-s-300ep/vit-s-300ep.pth.tar',
         'state_dict', 'module.base_encoder.', ('head.',),
         ViTArch(384, 12, 12, 16, pos_embed='sincos'),  # 12 heads: facebookresearch/moco-v3 vits.py vit_small
         'facebookresearch/moco-v3 README (300 ep, linear)', linear_feature='cls', aliases=('mocov3-vit-s',)),
    _vit('mocov3_vitb', 'MoCo v3 ViT-B', 'contrastive', 76.7, f'{_MOCOV3}/vit-b-300ep/vit-b-300ep.pth.tar',
         'state_dict', 'module.base_encoder.', ('head.',), ViTArch(768, 12, 12, 16, pos_embed='sincos'),
         'facebookresearch/moco-v3 README (300 ep, linear)', linear_feature='cls', aliases=('mocov3-vit-b',)),
    _vit('mae_vitb16', 'MAE ViT-B/16', 'other', 68.0, 'https://dl.fbaipublicfiles.com/mae/pretrain/'
         'mae_pretrain_vit_base.pth', 'model', '', ('head.', 'fc_norm.', 'mask_token', 'decoder_'),
         ViTArch(768, 12, 12, 16, pos_embed='sincos'),
         'MAE paper (linear, TF/TPU; facebookresearch/mae FINETUNE.md: 67.8 in PyTorch)', md5_prefix='8cad7c',
         linear_feature='cls_bn', aliases=('mae', 'mae-vit-b16')),
    _vit('ibot_vits16', 'iBOT ViT-S/16', 'other', 77.9, f'{_IBOT}/vits_16/checkpoint_teacher.pth', 'state_dict',
         '', ('head.', 'masked_embed'), _VIT_S16, 'bytedance/ibot README (linear)', strip_prefixes=_DINO_STRIP,
         alt_containers=('teacher',), absent_entries=('dino_loss',), linear_feature='last4_cls',
         aliases=('ibot-vit-s16',)),
    _vit('ibot_vitb16', 'iBOT ViT-B/16', 'other', 79.5, f'{_IBOT}/vitb_16/checkpoint_teacher.pth', 'state_dict',
         '', ('head.', 'masked_embed'), _VIT_B16, 'bytedance/ibot README (linear, block masks)',
         strip_prefixes=_DINO_STRIP, alt_containers=('teacher',), absent_entries=('dino_loss',),
         linear_feature='cls_patch_mean', aliases=('ibot-vit-b16',)),
    _vit('dinov2_vits14', 'DINOv2 ViT-S/14', 'other', 81.1, f'{_DINOV2}/dinov2_vits14/dinov2_vits14_pretrain.pth',
         None, '', _DINOV2_EXTRA, _DINOV2_S14, 'facebookresearch/dinov2 README (linear)',
         markers=('blocks.0.ls1.gamma',), absent_markers=('register_tokens',), pretraining_data='lvd-142m',
         linear_feature=_DINOV2_LINEAR),
    _vit('dinov2_vitb14', 'DINOv2 ViT-B/14', 'other', 84.5, f'{_DINOV2}/dinov2_vitb14/dinov2_vitb14_pretrain.pth',
         None, '', _DINOV2_EXTRA, _DINOV2_B14, 'facebookresearch/dinov2 README (linear)',
         markers=('blocks.0.ls1.gamma',), absent_markers=('register_tokens',), pretraining_data='lvd-142m',
         linear_feature=_DINOV2_LINEAR),
    _vit('dinov2_vits14_reg4', 'DINOv2 ViT-S/14 reg4', 'other', 80.9,
         f'{_DINOV2}/dinov2_vits14/dinov2_vits14_reg4_pretrain.pth', None, '', _DINOV2_EXTRA,
         ViTArch(384, 12, 6, 14, pos_grid=37, layer_scale=True, **_REG4), 'facebookresearch/dinov2 README (linear)',
         markers=('blocks.0.ls1.gamma', 'register_tokens'), pretraining_data='lvd-142m',
         linear_feature=_DINOV2_LINEAR),
    _vit('dinov2_vitb14_reg4', 'DINOv2 ViT-B/14 reg4', 'other', 84.6,
         f'{_DINOV2}/dinov2_vitb14/dinov2_vitb14_reg4_pretrain.pth', None, '', _DINOV2_EXTRA,
         ViTArch(768, 12, 12, 14, pos_grid=37, layer_scale=True, **_REG4), 'facebookresearch/dinov2 README (linear)',
         markers=('blocks.0.ls1.gamma', 'register_tokens'), pretraining_data='lvd-142m',
         linear_feature=_DINOV2_LINEAR),
)
#: name -> spec, in the paper's order (ascending ImageNet top-1), then the two ResNet-50s and the ViTs beyond it.
ZOO: dict[str, MethodSpec] = {spec.name: spec for spec in _SPECS}
#: The ViT releases (not in the paper): name -> spec. Kept apart from :data:`ZOO`, whose consumers (generated
#: configs, toy ResNet files, suites) build ResNet-50s; format detection and name lookups read both.
VIT_ZOO: dict[str, MethodSpec] = {spec.name: spec for spec in _VIT_SPECS}


class _Rows(Mapping):
    """A read-only live view of several name -> spec tables, in their order (tests may patch one table)."""

    def __init__(self, *tables: dict[str, MethodSpec]) -> None:
        self._tables = tables

    def __getitem__(self, name: str) -> MethodSpec:
        for table in self._tables:
            if name in table:
                return table[name]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        for table in self._tables:
            yield from table

    def __len__(self) -> int:
        return sum(len(t) for t in self._tables)


#: Every row: the ResNet-50s, then the ViTs.
ALL_METHODS: Mapping[str, MethodSpec] = _Rows(ZOO, VIT_ZOO)


def normalize_name(name: str) -> str:
    """Canonical spelling for name lookups: lower case without ``-``, ``_``, spaces or dots."""
    return re.sub(r'[-_ .]', '', name.lower())


_ALIASES: dict[str, str] = {}
for _spec in (*_SPECS, *_VIT_SPECS):
    for _alias in (_spec.name, _spec.paper_name, *_spec.aliases):
        _ALIASES[normalize_name(_alias)] = _spec.name


def find_method(name: str) -> MethodSpec | None:
    """Return the spec called ``name`` (any alias, e.g. ``'MoCo-v2'``, ``'moco_v2'``) or ``None``."""
    key = _ALIASES.get(normalize_name(name))
    return ALL_METHODS[key] if key else None


def get_method(name: str) -> MethodSpec:
    """Return the spec called ``name``; accepts aliases such as ``'moco-v2'``, ``'MoCo-v2'``, ``'mocov2'``.

    Raises:
        KeyError: unknown name (the message lists the zoo).
    """
    spec = find_method(name)
    if spec is None:
        raise KeyError(f'unknown method {name!r}; known: {", ".join(ALL_METHODS)}')
    return spec


#: How a method that only a file name could tell is recorded: ``'ambiguous: mocov1, pclv1'``.
AMBIGUOUS_PREFIX = 'ambiguous: '


def ambiguous_method(names: tuple[str, ...] | list[str]) -> str:
    """The method string recorded when a file could be any of ``names`` (zoo names, zoo order)."""
    return AMBIGUOUS_PREFIX + ', '.join(names)


def ambiguous_candidates(method: str) -> tuple[str, ...]:
    """The zoo names in an ``'ambiguous: a, b'`` method string (``()`` for any other string)."""
    if not method.startswith(AMBIGUOUS_PREFIX):
        return ()
    return tuple(name.strip() for name in method[len(AMBIGUOUS_PREFIX):].split(','))


#: What a record says when neither the run nor the zoo states the pretraining data (a user's backbone).
UNKNOWN_PRETRAINING_DATA = 'unknown'


def pretraining_data_of(method: str, stated: str | None = None) -> str:
    """The pretraining data a record carries: ``stated`` (a config's ``transfer_task.pretraining_data`` or a
    probe's ``--pretraining-data``) when given, else the zoo row's (one shared value for an ambiguous record of
    zoo methods), else :data:`UNKNOWN_PRETRAINING_DATA`."""
    if stated:
        return stated
    names = ambiguous_candidates(method) or (method,)
    found = {ALL_METHODS[name].pretraining_data for name in names if name in ALL_METHODS}
    return found.pop() if len(found) == 1 and all(name in ALL_METHODS for name in names) else UNKNOWN_PRETRAINING_DATA


def is_recorded_method(method: str) -> bool:
    """Whether ``method`` is a zoo name or an ambiguous record of zoo names (what converted files may record)."""
    return method in ALL_METHODS or bool(ambiguous_candidates(method)) and all(
        n in ALL_METHODS for n in ambiguous_candidates(method))
