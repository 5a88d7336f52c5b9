"""download()/resolve_checkpoint() against a local HTTP server on 127.0.0.1: checksum, resume, cache, zoo names."""
import dataclasses
import hashlib
import http.server
import re
import threading

import pytest

from mmssl_transfer.checkpoints import (ZOO, CheckpointError, DownloadError, convert, default_cache_dir, download,
                                        resolve_checkpoint)
from mmssl_transfer.toy.checkpoints import toy_checkpoint_path


class FileServer:
    """Serves ``files`` (name -> bytes) with optional HTTP Range support and records the Range headers seen."""

    def __init__(self, files, honour_range=True):
        self.files, self.honour_range, self.ranges = files, honour_range, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                data = server.files.get(self.path.split('?')[0].lstrip('/'))
                if data is None:
                    self.send_error(404)
                    return
                requested = self.headers.get('Range')
                server.ranges.append(requested)
                start = int(requested[len('bytes='):].split('-')[0]) if requested and server.honour_range else 0
                if start >= len(data) and requested and server.honour_range:
                    self.send_error(416)
                    return
                self.send_response(206 if start else 200)
                self.send_header('Content-Length', str(len(data) - start))
                self.end_headers()
                self.wfile.write(data[start:])

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, name):
        return f'http://127.0.0.1:{self.httpd.server_address[1]}/{name}'

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def payload(toy_checkpoints):
    return toy_checkpoint_path(toy_checkpoints, 'swav').read_bytes()


def test_download_with_matching_sha256_lands_in_the_cache_and_is_reused(payload, tmp_path):
    digest = hashlib.sha256(payload).hexdigest()
    with FileServer({'swav.pth.tar': payload}) as server:
        path = download(server.url('swav.pth.tar'), tmp_path, sha256=digest, progress=False)
        assert path == tmp_path / 'swav.pth.tar' and path.read_bytes() == payload
        assert not (tmp_path / 'swav.pth.tar.partial').exists()
        assert download(server.url('swav.pth.tar'), tmp_path, sha256=digest, progress=False) == path
        assert len(server.ranges) == 1  # the second call was served from the cache
    assert convert(path).report.method == 'swav'


def test_sha256_mismatch_names_url_file_and_both_digests_and_removes_the_file(payload, tmp_path):
    wrong = '0' * 64
    with FileServer({'swav.pth.tar': payload}) as server:
        with pytest.raises(DownloadError) as info:
            download(server.url('swav.pth.tar'), tmp_path, sha256=wrong, progress=False)
    message = str(info.value)
    assert server.url('swav.pth.tar') in message and str(tmp_path / 'swav.pth.tar') in message
    assert f'expected {wrong}' in message and hashlib.sha256(payload).hexdigest() in message
    assert 'removed' in message
    assert list(tmp_path.iterdir()) == []


def test_partial_download_resumes_with_an_http_range_request(payload, tmp_path):
    half = len(payload) // 2
    (tmp_path / 'swav.pth.tar.partial').write_bytes(payload[:half])
    with FileServer({'swav.pth.tar': payload}) as server:
        path = download(server.url('swav.pth.tar'), tmp_path, sha256=hashlib.sha256(payload).hexdigest(),
                        progress=False)
    assert server.ranges == [f'bytes={half}-']
    assert path.read_bytes() == payload


def test_server_without_range_support_restarts_from_scratch(payload, tmp_path):
    (tmp_path / 'swav.pth.tar.partial').write_bytes(b'garbage that must not stay')
    with FileServer({'swav.pth.tar': payload}, honour_range=False) as server:
        path = download(server.url('swav.pth.tar'), tmp_path, progress=False)
    assert path.read_bytes() == payload


def test_http_error_names_the_url(tmp_path):
    with FileServer({}) as server:
        with pytest.raises(DownloadError, match=r'http://127\.0\.0\.1:\d+/missing\.pth: download failed \(HTTP 404'):
            download(server.url('missing.pth'), tmp_path, progress=False)


def test_resolve_checkpoint_downloads_a_zoo_name_into_mmssl_cache(payload, tmp_path, monkeypatch):
    monkeypatch.setenv('MMSSL_CACHE', str(tmp_path / 'cache'))
    assert default_cache_dir() == tmp_path / 'cache' / 'checkpoints'
    with FileServer({'swav_800ep_pretrain.pth.tar': payload}) as server:
        monkeypatch.setitem(ZOO, 'swav', dataclasses.replace(
            ZOO['swav'], urls=(server.url('swav_800ep_pretrain.pth.tar'),),
            sha256=hashlib.sha256(payload).hexdigest()))
        path = resolve_checkpoint('SwAV', progress=False)
    assert path == tmp_path / 'cache' / 'checkpoints' / 'swav_800ep_pretrain.pth.tar'
    assert convert(path).report.method == 'swav'  # the official file name picks the method


def test_resolve_checkpoint_passes_existing_files_and_explains_the_rest(toy_checkpoints):
    path = toy_checkpoint_path(toy_checkpoints, 'dino')
    assert resolve_checkpoint(path) == path
    with pytest.raises(CheckpointError, match='no such file, and not a zoo method name'):
        resolve_checkpoint('/nowhere/model.pth')
    with pytest.raises(CheckpointError, match='TensorFlow checkpoint; .*SimCLRv2-Pytorch'):
        resolve_checkpoint('simclr-v2')


def _serve_as_zoo_row(monkeypatch, server, method, payload_name, **changes):
    monkeypatch.setitem(ZOO, method, dataclasses.replace(ZOO[method], urls=(server.url(payload_name),), **changes))


def test_moco_download_is_checked_against_the_published_md5_prefix(toy_checkpoints, tmp_path, monkeypatch):
    monkeypatch.setenv('MMSSL_CACHE', str(tmp_path / 'cache'))
    payload = toy_checkpoint_path(toy_checkpoints, 'mocov2').read_bytes()
    name = 'moco_v2_800ep_pretrain.pth.tar'
    with FileServer({name: payload}) as server:
        _serve_as_zoo_row(monkeypatch, server, 'mocov2', name, md5_prefix=hashlib.md5(payload).hexdigest()[:8])
        path = resolve_checkpoint('moco-v2', progress=False)
    assert path.read_bytes() == payload and convert(path).report.method == 'mocov2'


def test_md5_prefix_mismatch_is_a_clear_error_and_nothing_enters_the_cache(toy_checkpoints, tmp_path, monkeypatch):
    monkeypatch.setenv('MMSSL_CACHE', str(tmp_path / 'cache'))
    payload = toy_checkpoint_path(toy_checkpoints, 'mocov1').read_bytes()  # not the file MoCo published
    name = 'moco_v1_200ep_pretrain.pth.tar'
    with FileServer({name: payload}) as server:
        _serve_as_zoo_row(monkeypatch, server, 'mocov1', name)
        assert ZOO['mocov1'].md5_prefix == 'b251726a'
        with pytest.raises(DownloadError) as info:
            resolve_checkpoint('moco-v1', progress=False)
    message = str(info.value)
    assert message.startswith(f'{server.url(name)}: md5 mismatch for {tmp_path}/cache/checkpoints/{name}')
    assert 'the authors publish md5 b251726a...' in message and hashlib.md5(payload).hexdigest() in message
    assert 'removed' in message
    assert list((tmp_path / 'cache' / 'checkpoints').iterdir()) == []


def test_vit_rows_carry_only_the_published_checksum_and_mae_downloads_are_checked(tmp_path, monkeypatch):
    """MAE's README publishes an md5 prefix per file; DINO's and DINOv2's hub URLs carry no hash suffix and the
    MoCo v3 and iBOT tables list none, so those rows record none."""
    from mmssl_transfer.checkpoints import VIT_ZOO
    from mmssl_transfer.toy.vit_checkpoints import make_toy_vit_checkpoints, toy_vit_checkpoint_path
    assert {name: (spec.md5_prefix, spec.sha256) for name, spec in VIT_ZOO.items()
            if spec.md5_prefix or spec.sha256} == {'mae_vitb16': ('8cad7c', None)}
    assert not any(re.search(r'-[0-9a-f]{6,}\.pth', spec.urls[0]) for spec in VIT_ZOO.values())  # torch.hub hash
    monkeypatch.setenv('MMSSL_CACHE', str(tmp_path / 'cache'))
    payload = toy_vit_checkpoint_path(make_toy_vit_checkpoints(tmp_path, rows=['mae']), 'mae').read_bytes()
    name = 'mae_pretrain_vit_base.pth'
    with FileServer({name: payload}) as server:
        monkeypatch.setitem(VIT_ZOO, 'mae_vitb16', dataclasses.replace(VIT_ZOO['mae_vitb16'],
                                                                       urls=(server.url(name),)))
        with pytest.raises(DownloadError, match=r'md5 mismatch .*the authors publish md5 8cad7c\.\.\.'):
            resolve_checkpoint('mae', progress=False)  # the toy file is not the one MAE published
        monkeypatch.setitem(VIT_ZOO, 'mae_vitb16', dataclasses.replace(
            VIT_ZOO['mae_vitb16'], urls=(server.url(name),), md5_prefix=hashlib.md5(payload).hexdigest()[:6]))
        path = resolve_checkpoint('mae', progress=False)
    assert path.read_bytes() == payload and convert(path).report.method == 'mae_vitb16'
