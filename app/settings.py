"""The process's one ``Settings`` (``SONGDA_*`` environment variables or ``.env``).

Only the assembly (``app/``) reads it; everything below is handed the ``Settings`` it needs
(``create_app(settings)`` and on), which lint-imports checks: nothing imports ``app``.
"""
from __future__ import annotations

from functools import lru_cache

from core.settings import Settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
