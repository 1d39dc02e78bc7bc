"""Which companies and warehouses each user may work in."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class UserAccess(models.Model):
    """A user's company and warehouse access.

    No warehouses listed means every warehouse of the allowed companies.
    ``current_company`` is the one the web shell shows by default.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access"
    )
    companies = models.ManyToManyField("masterdata.Company", related_name="+", blank=True)
    warehouses = models.ManyToManyField("masterdata.Warehouse", related_name="+", blank=True)
    current_company = models.ForeignKey(
        "masterdata.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "user access"

    def __str__(self) -> str:
        return f"access of {self.user}"
