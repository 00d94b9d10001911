"""The base of the service's errors (standard library only: the command line catches it without the extra).

Hierarchy::

    ServiceError                the message is meant for the user: what is wrong and the fix
    ├── InvalidSetting          a connection value breaks a rule (field, problem, fix; ValueError)
    ├── SettingsSecretError     SEGMENT_SETTINGS_SECRET is missing or malformed (ValueError)
    ├── ServiceConfigError      the service cannot start as configured (ValueError)
    ├── StoreNotReady           the database needs `db upgrade`
    └── LinkRefused             a settings link is tampered with, expired or another tenant's
"""

from __future__ import annotations


class ServiceError(Exception):
    """An error whose message tells the user what is wrong and how to fix it."""
