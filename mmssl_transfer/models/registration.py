"""Register our modules into the MODELS registries of mmdet, mmseg and mmpretrain.

mmengine's default scope is global per process; registering the same class into each host package's registry
(as mmpretrain's ``res_layer_extra_norm`` does for mmdet) lets a config of any scope say ``type='SSLResNet'``.
A host package that is not installed is skipped.
"""
from __future__ import annotations

import importlib
from typing import Iterable

#: host package -> module holding its MODELS registry
HOST_REGISTRIES = {
    'mmdet': 'mmdet.registry',
    'mmseg': 'mmseg.registry',
    'mmpretrain': 'mmpretrain.registry',
}


def register_in_hosts(module: type, hosts: Iterable[str] = HOST_REGISTRIES, registry: str = 'MODELS') -> list[str]:
    """Register ``module`` under its class name in ``registry`` of every installed host; return the hosts."""
    done = []
    for host in hosts:
        try:
            reg = getattr(importlib.import_module(HOST_REGISTRIES[host]), registry)
        except ImportError:
            continue
        reg.register_module(name=module.__name__, module=module, force=True)
        done.append(host)
    return done
