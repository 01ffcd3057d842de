"""Court systems' API keys: issue, authenticate, scope."""
from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timezone

from core.errors import Forbidden, Unauthorized
from court.models import ApiClient
from service.choices import CourtSystem
from service.models import Court

KEY_PREFIX = "sdk_"


class Scope(str, enum.Enum):
    DOCUMENTS_WRITE = "documents:write"
    SERVICES_WRITE = "services:write"
    SERVICES_READ = "services:read"
    RECEIPTS_READ = "receipts:read"


DEFAULT_SCOPES = {
    CourtSystem.TRIAL: [Scope.DOCUMENTS_WRITE, Scope.SERVICES_WRITE, Scope.SERVICES_READ, Scope.RECEIPTS_READ],
    CourtSystem.ENFORCEMENT: [Scope.DOCUMENTS_WRITE, Scope.SERVICES_WRITE, Scope.SERVICES_READ, Scope.RECEIPTS_READ],
    # The e-dossier only files what others served.
    CourtSystem.DOSSIER: [Scope.SERVICES_READ, Scope.RECEIPTS_READ],
}


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_client(court: Court, name: str, system: CourtSystem,
                            scopes: list[Scope] | None = None) -> tuple[ApiClient, str]:
    """Return the client and its key. The key is never stored and cannot be shown again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = await ApiClient.create(
        court=court, name=name, system=system, key_prefix=key[:12], key_hash=_hash(key),
        scopes=[s.value for s in (scopes or DEFAULT_SCOPES[system])],
    )
    return client, key


async def authenticate(authorization: str | None) -> ApiClient:
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("缺少 API 密钥：请在 Authorization 头中提供 Bearer 密钥", code="missing_api_key")
    client = await ApiClient.get_or_none(key_hash=_hash(key.strip()), active=True).select_related("court")
    if client is None:
        raise Unauthorized("API 密钥无效或已停用", code="invalid_api_key")
    return client


def require_scope(client: ApiClient, scope: Scope) -> None:
    if scope.value not in client.scopes:
        raise Forbidden(f"该 API 客户端没有 {scope.value} 权限", code="insufficient_scope")


async def touch(client: ApiClient, now: datetime | None = None) -> None:
    """Record last use at most once a minute, so reads don't turn into writes."""
    now = now or datetime.now(timezone.utc)
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
        await ApiClient.filter(id=client.id).update(last_used_at=now)
