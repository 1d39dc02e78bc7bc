"""Uploads kept between an import's dry run and the real run, so the file is sent once.

The file is written under ``VAR_DIR/uploads`` with a random name and only
that name goes into the user's session; the real run takes it back (once)
and deletes it. Files left behind by abandoned dry runs are removed after a
day. With several web hosts, ``VAR_DIR`` must be shared storage.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest

SESSION_KEY = "crossdock.web.staged-import"
MAX_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class StagedUpload:
    token: str
    slug: str
    filename: str


def _directory() -> Path:
    directory = Path(settings.VAR_DIR) / "uploads"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _purge_stale(directory: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in directory.glob("*.upload"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            continue


def stage(request: HttpRequest, slug: str, filename: str, content: bytes) -> StagedUpload:
    """Keep ``content`` for this session's next real import of ``slug``."""
    discard(request)
    directory = _directory()
    _purge_stale(directory)
    token = secrets.token_hex(16)
    (directory / f"{token}.upload").write_bytes(content)
    staged = StagedUpload(token, slug, filename)
    request.session[SESSION_KEY] = {"token": token, "slug": slug, "filename": filename}
    return staged


def staged(request: HttpRequest, slug: str) -> StagedUpload | None:
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or data.get("slug") != slug:
        return None
    return StagedUpload(str(data["token"]), slug, str(data["filename"]))


def take(request: HttpRequest, slug: str, token: str) -> tuple[str, bytes] | None:
    """The staged file for ``token`` (this session's, this record type's), removed from staging."""
    upload = staged(request, slug)
    if upload is None or not secrets.compare_digest(upload.token, token):
        return None
    path = _directory() / f"{upload.token}.upload"
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return None
    discard(request)
    return upload.filename, content


def discard(request: HttpRequest) -> None:
    data = request.session.pop(SESSION_KEY, None)
    if isinstance(data, dict) and str(data.get("token", "")).isalnum():
        (_directory() / f"{data['token']}.upload").unlink(missing_ok=True)
