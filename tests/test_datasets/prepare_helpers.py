"""Helpers of the data-preparation tests: tiny archives in the official formats, built from the toy world, and a
local HTTP server standing in for the datasets' hosts (no test reaches the internet)."""
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

from tests.test_checkpoints.test_download import FileServer

__all__ = ['FileServer', 'tar_bytes', 'zip_bytes', 'md5', 'redirect_torchvision', 'official_archives']


def _members(folder: Path, arcname: str, skip: tuple[str, ...] = ()):
    for path in sorted(folder.rglob('*')):
        rel = path.relative_to(folder)
        if path.is_file() and not any(str(rel).startswith(s) for s in skip):
            yield path, f'{arcname}/{rel}' if arcname else str(rel)


def tar_bytes(*trees: tuple[Path, str], extra: dict[str, bytes] | None = None, mode: str = 'w:gz',
              skip: tuple[str, ...] = ()) -> bytes:
    """A tar (gzip by default) of folders, each stored under an archive name, plus extra members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tf:
        for folder, arcname in trees:
            for path, name in _members(folder, arcname, skip):
                tf.add(path, arcname=name)
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zip_bytes(*trees: tuple[Path, str], extra: dict[str, bytes] | None = None, skip: tuple[str, ...] = ()) -> bytes:
    """A zip of folders, each stored under an archive name, plus extra members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as zf:
        for folder, arcname in trees:
            for path, name in _members(folder, arcname, skip):
                zf.write(path, name)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def redirect_torchvision(monkeypatch, server: FileServer, files: dict[str, bytes]) -> list[str]:
    """Point torchvision's downloaders at ``server``: each URL is replaced by the served file of the same name and
    the md5 it is checked against by that file's md5; torchvision's own download, md5 check and extraction run.
    A URL whose file is not served fails the test (it would reach the internet). Returns the URLs asked for."""
    import torchvision.datasets as tvd
    asked: list[str] = []

    def wrap(real):
        def call(url, *args, **kwargs):
            name = url.rstrip('/').rsplit('/', 1)[-1]
            assert name in files, f'{url}: a test must not reach the internet'
            asked.append(url)
            if kwargs.get('md5') is not None:
                kwargs['md5'] = md5(files[name])
            return real(server.url(name), *args, **kwargs)
        return call

    for module in (tvd.cifar, tvd.caltech, tvd.dtd, tvd.fgvc_aircraft, tvd.flowers102, tvd.food101,
                   tvd.oxford_iiit_pet, tvd.sun397, tvd.voc, tvd.eurosat):
        for function in ('download_and_extract_archive', 'download_url'):
            if hasattr(module, function):
                monkeypatch.setattr(module, function, wrap(getattr(module, function)))
    return asked


def official_archives(name: str, toy: Path) -> dict[str, bytes]:
    """The archives the official hosts serve for ``name``, in their real formats, holding toy data.

    ``toy`` is a toy world (tools/make_toy_data.py); each archive holds the tree its real counterpart holds.
    """
    cls = toy / 'classification'
    if name == 'cifar10':
        return {'cifar-10-python.tar.gz': tar_bytes((cls / 'cifar10' / 'cifar-10-batches-py', 'cifar-10-batches-py'))}
    if name == 'cifar100':
        return {'cifar-100-python.tar.gz': tar_bytes((cls / 'cifar100' / 'cifar-100-python', 'cifar-100-python'))}
    if name == 'caltech101':  # the zip holds a tar.gz of the images (and the annotations, left out here)
        inner = tar_bytes((cls / 'caltech101' / '101_ObjectCategories', '101_ObjectCategories'))
        return {'caltech-101.zip': zip_bytes(extra={'caltech-101/101_ObjectCategories.tar.gz': inner})}
    if name == 'dtd':
        return {'dtd-r1.0.1.tar.gz': tar_bytes((cls / 'dtd', 'dtd'))}
    if name == 'aircraft':
        return {'fgvc-aircraft-2013b.tar.gz': tar_bytes((cls / 'aircraft', 'fgvc-aircraft-2013b'))}
    if name == 'flowers':
        root = cls / 'flowers'
        return {'102flowers.tgz': tar_bytes((root / 'jpg', 'jpg')),
                'imagelabels.mat': (root / 'imagelabels.mat').read_bytes(),
                'setid.mat': (root / 'setid.mat').read_bytes()}
    if name == 'food':
        root = cls / 'food'
        return {'food-101.tar.gz': tar_bytes((root, 'food-101'))}  # meta/*.json, *.txt, classes.txt: as released
    if name == 'pets':
        root = cls / 'pets'
        return {'images.tar.gz': tar_bytes((root / 'images', 'images')),
                'annotations.tar.gz': tar_bytes((root / 'annotations', 'annotations'))}
    if name == 'sun397':
        root = cls / 'sun397'
        return {'SUN397.tar.gz': tar_bytes((root / 'SUN397', 'SUN397')),
                'Partitions.zip': zip_bytes((root / 'Partitions', ''))}
    if name in ('voc2007', 'voc0712'):
        voc07 = cls / 'voc2007' if name == 'voc2007' else toy / 'VOCdevkit' / 'VOC2007'
        files = {  # the trainval tar without the test list, the test tar with it alone
            'VOCtrainval_06-Nov-2007.tar': tar_bytes((voc07, 'VOCdevkit/VOC2007'), mode='w',
                                                     skip=('ImageSets/Main/test.txt',)),
            'VOCtest_06-Nov-2007.tar': tar_bytes((voc07, 'VOCdevkit/VOC2007'), mode='w',
                                                 skip=('ImageSets/Main/train', 'ImageSets/Main/val'))}
        if name == 'voc0712':
            files['VOCtrainval_11-May-2012.tar'] = tar_bytes((toy / 'VOCdevkit' / 'VOC2012', 'VOCdevkit/VOC2012'),
                                                             mode='w')
        return files
    if name == 'eurosat':
        return {'EuroSAT.zip': zip_bytes((cls / 'eurosat' / '2750', '2750'))}
    if name == 'clevr_count':  # CLEVR_v1.0.zip: images/{train,val}, scenes/*.json under CLEVR_v1.0/
        return {'CLEVR_v1.0.zip': zip_bytes((cls / 'clevr_count', 'CLEVR_v1.0'))}
    if name == 'ade20k':
        return {'ADEChallengeData2016.zip': zip_bytes((toy / 'ADEChallengeData2016', 'ADEChallengeData2016'))}
    raise KeyError(name)
