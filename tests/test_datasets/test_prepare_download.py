"""prepare_data.py --download against a local HTTP server serving tiny archives in the official formats.

torchvision's downloaders run as they are (their URL and md5 are pointed at the local server and the tiny
archive: :func:`redirect_torchvision`); the paper's Caltech101 split files, SUN397's Partitions.zip and ADE20K's
zip go through the project's checked downloader, their catalog URL and checksum pointed the same way.
"""
import dataclasses
import hashlib
import io
from pathlib import Path

import pytest
from rich.console import Console

from mmssl_transfer.datasets import catalog
from mmssl_transfer.datasets.catalog import DATA_ROOTS, DATA_SOURCES, RemoteFile
from mmssl_transfer.datasets.classification import build_cls_dataset
from mmssl_transfer.datasets.classification.caltech_splits import paper_split_dir
from mmssl_transfer.datasets.preparation import NotDownloadable, check_dataset, download_dataset
from mmssl_transfer.datasets.preparation.tool import prepare_data
from mmssl_transfer.download import DownloadError

from tests.test_datasets.prepare_helpers import FileServer, md5, official_archives, redirect_torchvision

TORCHVISION_DOWNLOADS = ('aircraft', 'caltech101', 'cifar10', 'cifar100', 'dtd', 'eurosat', 'flowers', 'food',
                         'pets', 'sun397', 'voc2007', 'voc0712')


def _point_checksums_at(monkeypatch, name, files, server):
    """The md5 lists torchvision checks extracted files against, and our catalog's URLs and checksums, for the
    tiny files."""
    import torchvision.datasets as tvd
    toy_md5 = {}
    for archive in (n for n in files if n.endswith(('.tar.gz', '.tgz', '.zip', '.tar'))):
        import tarfile
        import zipfile
        data = io.BytesIO(files[archive])
        if archive.endswith('.zip'):
            with zipfile.ZipFile(data) as zf:
                toy_md5.update({Path(i.filename).name: md5(zf.read(i)) for i in zf.infolist() if not i.is_dir()})
        else:
            with tarfile.open(fileobj=data) as tf:
                toy_md5.update({Path(m.name).name: md5(tf.extractfile(m).read()) for m in tf.getmembers()
                                if m.isfile()})
    if name in ('cifar10', 'cifar100'):
        cls = tvd.CIFAR10 if name == 'cifar10' else tvd.CIFAR100
        monkeypatch.setattr(cls, 'train_list', [[f, toy_md5[f]] for f, _ in cls.train_list])
        monkeypatch.setattr(cls, 'test_list', [[f, toy_md5[f]] for f, _ in cls.test_list])
        monkeypatch.setattr(cls, 'meta', {**cls.meta, 'md5': toy_md5[cls.meta['filename']]})
    if name == 'flowers':
        tiny = {k: (f, md5(files[f])) for k, (f, _) in tvd.Flowers102._file_dict.items()}
        monkeypatch.setattr(tvd.Flowers102, '_file_dict', tiny)
    source = DATA_SOURCES[name]
    remote = tuple(dataclasses.replace(f, url=server.url(f.name), sha256=hashlib.sha256(files[f.name]).hexdigest()
                                       if f.sha256 else None,
                                       digests=tuple((a, hashlib.new(a, files[f.name]).hexdigest())
                                                     for a, _ in f.digests))
                   for f in source.files)
    monkeypatch.setitem(catalog.DATA_SOURCES, name, dataclasses.replace(source, files=remote))
    if name == 'caltech101':
        for f in remote:
            monkeypatch.setitem(catalog.CALTECH101_PAPER_SPLIT, f.name.removesuffix('.txt'), f)


@pytest.mark.parametrize('name', TORCHVISION_DOWNLOADS + ('ade20k', 'clevr_count'))
def test_download_fetches_checks_and_arranges_the_layout(toy_world, tmp_path, monkeypatch, name):
    files = official_archives(name, toy_world)
    if name == 'caltech101':  # the paper's split files, in their format (here: drawn from the toy's images)
        for part in ('train', 'test'):
            files[f'{part}.txt'] = (toy_world / 'classification' / 'caltech101' / 'meta' / f'{part}.txt').read_bytes()
    root = tmp_path / DATA_ROOTS[name]
    console = Console(file=io.StringIO(), width=250)
    with FileServer(files) as server:
        asked = redirect_torchvision(monkeypatch, server, files)
        _point_checksums_at(monkeypatch, name, files, server)
        status = prepare_data(name, root, download=True, any_counts=True, console=console, progress=False)
    text = console.file.getvalue()
    assert status == 0, text
    assert bool(asked) == bool(DATA_SOURCES[name].torchvision)
    check = check_dataset(name, root, official=False)
    assert check.usable and check.counts and all(found > 0 for found, _ in check.counts.values())
    assert check.found_at.is_relative_to(root), (check.found_at, root)
    if name == 'caltech101':  # the split files went to the cache, never into the dataset folder
        assert sorted(p.name for p in paper_split_dir().iterdir()) == ['test.txt', 'train.txt']
        assert not list(root.rglob('*.txt'))
        train = build_cls_dataset('caltech101', str(root), 'trainval')
        assert len(train) == len(files['train.txt'].decode().splitlines()) == 150  # every row, repeats included


def test_a_torchvision_download_that_fails_its_md5_is_one_error(toy_world, tmp_path, monkeypatch):
    files = official_archives('dtd', toy_world)
    with FileServer(files) as server:
        redirect_torchvision(monkeypatch, server, {'dtd-r1.0.1.tar.gz': b'another file'})  # md5 of other bytes
        with pytest.raises(DownloadError, match=r"dtd: torchvision's DTD download into .* failed \(File not found "
                                                r'or corrupted'):
            download_dataset('dtd', tmp_path / 'dtd', progress=False)


def test_a_checked_download_that_does_not_match_is_removed(toy_world, tmp_path, monkeypatch):
    files = official_archives('ade20k', toy_world)
    with FileServer(files) as server:
        _point_checksums_at(monkeypatch, 'ade20k', files, server)
        wrong = dataclasses.replace(DATA_SOURCES['ade20k'].files[0], digests=(('sha1', '0' * 40),))
        monkeypatch.setitem(catalog.DATA_SOURCES, 'ade20k', dataclasses.replace(DATA_SOURCES['ade20k'],
                                                                                files=(wrong,)))
        with pytest.raises(DownloadError, match='sha1 mismatch .* expected 0000000000'):
            download_dataset('ade20k', tmp_path / 'ade' / 'ADEChallengeData2016', progress=False)
    assert not (tmp_path / 'ade').exists()


def test_files_already_there_are_not_fetched_again(toy_world, tmp_path, monkeypatch):
    """Caltech101 images in place: --download fetches only the split files (torchvision is not called)."""
    import shutil
    root = tmp_path / 'caltech101'
    shutil.copytree(toy_world / 'classification' / 'caltech101' / '101_ObjectCategories', root / '101_ObjectCategories')
    files = {f'{p}.txt': (toy_world / 'classification' / 'caltech101' / 'meta' / f'{p}.txt').read_bytes()
             for p in ('train', 'test')}
    with FileServer(files) as server:
        asked = redirect_torchvision(monkeypatch, server, {})
        _point_checksums_at(monkeypatch, 'caltech101', files, server)
        notes = download_dataset('caltech101', root, progress=False)
        assert asked == [] and 'torchvision not called' in notes[0]
        assert len(server.ranges) == 2
        download_dataset('caltech101', root, progress=False)
        assert len(server.ranges) == 2  # checked copies in the cache are kept


def test_datasets_without_a_public_source_say_where_to_get_them(tmp_path):
    for name in ('cars', 'cropdiseases', 'isic2018', 'chestx', 'nyuv2'):
        assert not DATA_SOURCES[name].downloadable
        with pytest.raises(NotDownloadable) as err:
            download_dataset(name, tmp_path / name)
        assert str(err.value).startswith(f'{name}: no public source a script can download from.')
        assert '--from-archive' in str(err.value)
    console = Console(file=io.StringIO(), width=250)
    prepare_data('isic2018', tmp_path / 'isic', console=console)
    text = console.file.getvalue()
    assert 'https://challenge.isic-archive.com/data/#2018' in text and 'ISIC2018_Task3_Training_Input.zip' in text
    assert 'ISIC2018_Task3_Training_GroundTruth.csv' in text  # the layout


def test_every_catalog_download_is_pinned_and_checked():
    """Files fetched by the project's downloader carry a checksum; the paper's Caltech101 split files are pinned
    to the commit that added them (before the 2023 deduplication)."""
    for name, source in DATA_SOURCES.items():
        for remote in source.files:
            assert remote.sha256 or remote.digests, (name, remote.url)
            assert remote.checksum_source, (name, remote.url)
    split = catalog.CALTECH101_PAPER_SPLIT
    assert all('/5fbb1eb06f5bb69ef40426410f9e83602a04f04e/caltech101-splits/' in f.url for f in split.values())
    assert split['train'].sha256 == '11ebeedd88c494ebecbecb05770f5f379cbfc1c8c2cbf8796c86bcb9a192bf11'
    assert isinstance(split['test'], RemoteFile) and split['test'].into == 'cache'


def test_showing_a_dataset_gives_its_download_command_sources_and_checksums(tmp_path):
    console = Console(file=io.StringIO(), width=250)
    assert prepare_data('sun397', tmp_path / 'SUN397', console=console) == 1  # not there yet
    text = console.file.getvalue()
    assert f'download: python tools/prepare_data.py sun397 --download --root {tmp_path / "SUN397"}   ' \
           '(torchvision (with its md5 checks))' in text
    assert 'Partitions.zip (e3311ea5f812d4cc6faef194688343d1111f6cd6f70f2c62f393c2b8d6ba1ec9' in text
    assert 'official copy: trainval 19850, test 19850' in text and 'Training_01.txt' in text
