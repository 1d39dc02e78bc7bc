"""Core tables: the audit chain, domain-event outbox, API tokens and idempotency keys."""

from __future__ import annotations

import hashlib
import secrets
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """One append-only line of the audit trail.

    Each entry carries the SHA-256 of its predecessor (``previous_hash``) and its
    own ``entry_hash`` over a canonical JSON of its fields, so editing, deleting
    or re-ordering any entry breaks the chain and ``crossdock audit`` reports it.
    """

    sequence = models.BigIntegerField(unique=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    request_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_label = models.CharField(max_length=255, blank=True)
    company_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-sequence"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """Single row holding the newest sequence and hash; locked to append in order.

    It also lets the verifier notice entries cut off the end of the chain.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_head_singleton")
        ]

    def __str__(self) -> str:
        return f"audit chain at #{self.last_sequence}"


class OutboxEvent(models.Model):
    """A domain event stored in the same transaction as the change that raised it.

    Webhook delivery (integrations) reads this table; a row exists only if the
    change committed.
    """

    name = models.CharField(max_length=100, db_index=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    company_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class ApiToken(models.Model):
    """A bearer token acting as its user, with that user's roles and companies.

    Only a SHA-256 digest is stored; the clear token is shown once at creation.
    """

    PREFIX: ClassVar[str] = "cdk_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: models.Model, name: str) -> tuple[ApiToken, str]:
        """Create a token for ``user``; return it with the clear text (shown once)."""
        clear = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, digest=cls.digest_of(clear), hint=clear[:10]
        )
        return token, clear

    @property
    def is_usable(self) -> bool:
        return not self.revoked and (self.expires_at is None or self.expires_at > timezone.now())


class IdempotencyKey(models.Model):
    """The stored response of a POST made with an ``Idempotency-Key`` header.

    A retry with the same key and the same body replays the response; the same
    key with a different body is refused.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.BinaryField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return self.key


class User(AbstractUser):
    """A person (or integration) signing in to Crossdock.

    Roles are Django groups kept in step with :mod:`crossdock.core.roles`;
    company and warehouse access lives in ``masterdata.UserAccess``.
    """

    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    job_title = models.CharField(max_length=100, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    @property
    def role_codes(self) -> set[str]:
        return set(self.groups.values_list("name", flat=True))


class ScheduledRun(models.Model):
    """One claimed slot of a periodic task (:mod:`crossdock.core.schedule`): enqueued once."""

    name = models.CharField(max_length=80)
    due_at = models.DateTimeField()
    enqueued_at = models.DateTimeField()
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(fields=["name", "due_at"], name="scheduled_run_once_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.due_at:%Y-%m-%d %H:%M}"
