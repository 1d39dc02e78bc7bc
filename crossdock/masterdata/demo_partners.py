"""Demo suppliers and customers: realistic names, terms, tiers, addresses and coordinates.

Suppliers are domestic (the buying company's own markets, in their
currencies) or overseas (China, the United States, Turkey, India, Vietnam —
in USD, CNY or EUR) with a risk class to match. Customers are restaurants,
hotels, cleaning firms, installers and builders in the Benelux, Germany,
France and the United Kingdom, with a tier, a credit limit sized to it and
payment terms. Every address carries coordinates of a real place in its
country (Faker's gazetteer), so sourcing and route maps have something true
to work with. Names and streets come from Faker instances seeded from the
demo seed; every other choice comes from the demo's generator.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from faker import Faker
from faker.providers.geo import Provider as GeoProvider

from crossdock.masterdata.demo_catalogue import (
    CUSTOMER_TRADES,
    OVERSEAS_SUPPLIER_TOWNS,
    OVERSEAS_TRADES,
    OVERSEAS_WORDS,
)
from crossdock.masterdata.models import Company, Currency, Partner, PaymentTerm

COORDINATE = Decimal("0.000001")
# country: locale, currency, weight (per buying company)
DOMESTIC_SUPPLIERS = {
    "NSE": (
        ("NL", "nl_NL", "EUR", 30),
        ("BE", "nl_BE", "EUR", 15),
        ("DE", "de_DE", "EUR", 25),
        ("FR", "fr_FR", "EUR", 15),
        ("PL", "pl_PL", "PLN", 7),
        ("SE", "sv_SE", "SEK", 4),
        ("CH", "de_CH", "CHF", 4),
    ),
    "NSUK": (("GB", "en_GB", "GBP", 100),),
    "NSG": (("DE", "de_DE", "EUR", 50), ("NL", "nl_NL", "EUR", 50)),
}
CUSTOMER_COUNTRIES = {
    "NSE": (
        ("NL", "nl_NL", 35),
        ("BE", "nl_BE", 20),
        ("DE", "de_DE", 25),
        ("FR", "fr_FR", 20),
    ),
    "NSUK": (("GB", "en_GB", 100),),
}
SUPPLIER_SHARE = {"NSE": 65, "NSUK": 27, "NSG": 8}
CUSTOMER_SHARE = {"NSE": 70, "NSUK": 30}
TIERS = (("strategic", 3), ("key", 12), ("standard", 60), ("occasional", 25))
TLD = {"NL": "nl", "BE": "be", "DE": "de", "FR": "fr", "GB": "co.uk", "PL": "pl", "SE": "se",
       "CH": "ch", "CN": "cn", "US": "com", "TR": "com.tr", "IN": "in", "VN": "vn"}  # fmt: skip
DIALLING = {"CN": "+86", "US": "+1", "TR": "+90", "IN": "+91", "VN": "+84"}

Built = dict[str, tuple[list[Partner], list[tuple[int, dict[str, Any]]]]]


def build_partners(
    rng: random.Random,
    seed: int,
    *,
    companies: Mapping[str, Company],
    currencies: Mapping[str, Currency],
    terms: Mapping[str, PaymentTerm],
    suppliers: int,
    customers: int,
) -> Built:
    """Unsaved partners per company code, with their addresses (by index in the list)."""
    maker = _PartnerMaker(rng, seed, currencies, terms)
    built: Built = {code: ([], []) for code in companies}
    for code, count in _split(suppliers, SUPPLIER_SHARE).items():
        for _ in range(count):
            maker.supplier(companies[code], built[code])
    for code, count in _split(customers, CUSTOMER_SHARE).items():
        for _ in range(count):
            maker.customer(companies[code], built[code])
    return built


def _split(total: int, shares: Mapping[str, int]) -> dict[str, int]:
    counts = {code: total * share // 100 for code, share in shares.items()}
    first = next(iter(shares))
    counts[first] += total - sum(counts.values())
    return counts


def _pick(rng: random.Random, options: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(options, weights=[option[-1] for option in options])[0]


class _PartnerMaker:
    def __init__(
        self,
        rng: random.Random,
        seed: int,
        currencies: Mapping[str, Currency],
        terms: Mapping[str, PaymentTerm],
    ) -> None:
        self.rng = rng
        self.seed = seed
        self.currencies = currencies
        self.terms = terms
        self.fakers: dict[str, Faker] = {}
        self.places: dict[str, list[tuple[str, str, str, str, str]]] = {}
        self.supplier_number = 20000
        self.customer_number = 10000

    def faker(self, locale: str) -> Faker:
        if locale not in self.fakers:
            fake = Faker(locale)
            fake.seed_instance(self.seed * 1000 + len(self.fakers))
            self.fakers[locale] = fake
        return self.fakers[locale]

    def place(self, country: str) -> tuple[str, Decimal, Decimal]:
        """A real town in ``country`` with its coordinates."""
        if country not in self.places:
            self.places[country] = [c for c in GeoProvider.land_coords if c[3] == country]
        lat, lon, town, _, _ = self.rng.choice(self.places[country])
        return town, Decimal(lat).quantize(COORDINATE), Decimal(lon).quantize(COORDINATE)

    def address(self, country: str, locale: str | None, kind: str, **extra: Any) -> dict[str, Any]:
        town, lat, lon = self.place(country)
        if locale is not None:
            fake = self.faker(locale)
            street = fake.street_address().replace("\n", ", ")
            postal = str(fake.postcode())
        else:
            street = f"No. {self.rng.randint(1, 999)} {self.rng.choice(OVERSEAS_WORDS)} Road"
            postal = f"{self.rng.randint(10000, 99999)}"
        return {
            "kind": kind,
            "street": street[:200],
            "city": town[:100],
            "postal_code": postal[:20],
            "country": country,
            "latitude": lat,
            "longitude": lon,
            **extra,
        }

    def tax_id(self, country: str) -> str:
        digits = "".join(str(self.rng.randrange(10)) for _ in range(12))
        return {
            "NL": f"NL{digits[:9]}B01",
            "BE": f"BE0{digits[:9]}",
            "DE": f"DE{digits[:9]}",
            "FR": f"FR{digits[:11]}",
            "GB": f"GB{digits[:9]}",
            "PL": f"PL{digits[:10]}",
            "SE": f"SE{digits[:10]}01",
            "CH": f"CHE-{digits[:3]}.{digits[3:6]}.{digits[6:9]} MWST",
            "CN": f"91{digits}{digits[:4]}",
            "US": f"{digits[:2]}-{digits[2:9]}",
        }.get(country, digits[:10])

    @staticmethod
    def email(mailbox: str, name: str, country: str) -> str:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "", ascii_name.lower())[:24] or "mail"
        return f"{mailbox}@{slug}.{TLD.get(country, 'com')}"

    def phone(self, country: str, locale: str | None) -> str:
        if locale is not None:
            return str(self.faker(locale).phone_number())[:40]
        number = " ".join(str(self.rng.randint(100, 999)) for _ in range(3))
        return f"{DIALLING.get(country, '+1')} {number}"

    def supplier(self, company: Company, into: tuple[list[Partner], list[Any]]) -> None:
        rng = self.rng
        overseas = rng.randrange(100) < 40
        locale: str | None
        if overseas:
            country, town = rng.choice(OVERSEAS_SUPPLIER_TOWNS)
            locale = "en_US" if country == "US" else None
            word, trade = rng.choice(OVERSEAS_WORDS), rng.choice(OVERSEAS_TRADES)
            if country == "US":
                name = f"{self.faker('en_US').last_name()} {trade} Inc."
            elif country == "TR":
                name = f"{word} {trade} Sanayi A.Ş."
            elif country == "IN":
                name = f"{word} {trade} Pvt. Ltd."
            else:
                name = f"{town} {word} {trade} Co., Ltd."
            currency = {"TR": "EUR", "CN": rng.choice(("USD", "USD", "CNY"))}.get(country, "USD")
            risk = rng.choices(("low", "medium", "high"), weights=(30, 45, 25))[0]
            term = "NET60"
        else:
            country, locale, currency, _ = _pick(rng, DOMESTIC_SUPPLIERS[company.code])
            assert locale is not None
            name = str(self.faker(locale).company())
            risk = rng.choices(("low", "medium", "high"), weights=(70, 25, 5))[0]
            term = rng.choice(("NET30", "NET30", "NET60", "2-10-NET30"))
        self.supplier_number += 1
        partners, addresses = into
        partners.append(
            Partner(
                company=company,
                code=f"S{self.supplier_number}",
                name=name[:200],
                is_supplier=True,
                tax_id=self.tax_id(country),
                email=self.email("sales", name, country),
                phone=self.phone(country, locale),
                currency=self.currencies[currency],
                payment_term=self.terms[term],
                supplier_risk_class=risk,
            )
        )
        addresses.append(
            (len(partners) - 1, self.address(country, locale, "billing", is_default=True))
        )

    def customer(self, company: Company, into: tuple[list[Partner], list[Any]]) -> None:
        rng = self.rng
        country, locale, _ = _pick(rng, CUSTOMER_COUNTRIES[company.code])
        fake = self.faker(locale)
        if rng.randrange(100) < 45:
            trade = rng.choice(CUSTOMER_TRADES[locale])
            surname = fake.last_name()
            name = f"{surname} {trade} Ltd" if locale == "en_GB" else f"{trade} {surname}"
        else:
            name = str(fake.company())
        tier = rng.choices([t for t, _ in TIERS], weights=[w for _, w in TIERS])[0]
        credit = {
            "strategic": rng.randint(250, 1000) * 1000,
            "key": rng.randint(50, 250) * 1000,
            "standard": rng.randint(5, 50) * 1000,
            "occasional": rng.randint(0, 10) * 500,
        }[tier]
        term = {
            "strategic": rng.choice(("NET60", "2-10-NET30")),
            "key": rng.choice(("NET30", "NET60", "2-10-NET30")),
            "standard": rng.choice(("NET30", "NET30", "NET14")),
            "occasional": "NET14",
        }[tier]
        self.customer_number += 1
        partners, addresses = into
        partners.append(
            Partner(
                company=company,
                code=f"C{self.customer_number}",
                name=name[:200],
                is_customer=True,
                tax_id=self.tax_id(country),
                email=self.email("orders", name, country),
                phone=self.phone(country, locale),
                currency=company.base_currency,
                payment_term=self.terms[term],
                credit_limit=Decimal(credit),
                customer_tier=tier,
            )
        )
        index = len(partners) - 1
        addresses.append((index, self.address(country, locale, "billing", is_default=True)))
        addresses.append(
            (index, self.address(country, locale, "shipping", is_default=True, label="Main"))
        )
        if tier in ("strategic", "key"):
            for outlet in range(rng.randint(1, 3)):
                addresses.append(
                    (
                        index,
                        self.address(country, locale, "shipping", label=f"Outlet {outlet + 1}"),
                    )
                )
