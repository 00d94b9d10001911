"""Customers connect themselves: the settings page, the connections API, the key store.

The ``[service]`` extra (``pip install '<project>[service]'``)::

    from <package>.service import ConnectionStore, Tenants, create_app, settings_link

    store = ConnectionStore()                 # SEGMENT_DATABASE_URL, SEGMENT_SETTINGS_SECRET
    app = create_app(store)                   # ASGI: serve with uvicorn, or mount it
    url = settings_link(store.secret, "acct_42", "https://segment.example.com")
    tenants = Tenants(client, store)
    tenants.for_tenant("acct_42").track(user_id="u1", event="Email Opened")

Names load on first use, so ``import <package>.service.commands`` (the command line)
works without the extra installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._errors import ServiceError
    from ._rules import InvalidSetting
    from ._secrets import SettingsSecret, SettingsSecretError, new_secret
    from .app import ServiceConfigError, create_app
    from .links import LinkRefused, settings_link
    from .relay import Relay
    from .store import Connection, ConnectionStore, Credentials, StoreNotReady
    from .tenants import NotConnected, TenantCustomer, Tenants
    from .testsend import TestResult

__all__ = [
    "Connection",
    "ConnectionStore",
    "Credentials",
    "InvalidSetting",
    "LinkRefused",
    "NotConnected",
    "Relay",
    "ServiceConfigError",
    "ServiceError",
    "SettingsSecret",
    "SettingsSecretError",
    "StoreNotReady",
    "TenantCustomer",
    "Tenants",
    "TestResult",
    "create_app",
    "new_secret",
    "settings_link",
]

_WHERE = {
    "Connection": ".store",
    "ConnectionStore": ".store",
    "Credentials": ".store",
    "InvalidSetting": "._rules",
    "LinkRefused": ".links",
    "NotConnected": ".tenants",
    "Relay": ".relay",
    "ServiceConfigError": ".app",
    "ServiceError": "._errors",
    "SettingsSecret": "._secrets",
    "SettingsSecretError": "._secrets",
    "StoreNotReady": ".store",
    "TenantCustomer": ".tenants",
    "Tenants": ".tenants",
    "TestResult": ".testsend",
    "create_app": ".app",
    "new_secret": "._secrets",
    "settings_link": ".links",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name], __name__), name)
