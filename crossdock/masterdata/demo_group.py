"""The demo group: its companies, sites, payment terms, exchange rates and people.

Northgate Supply is a holding (NSG) with two operating subsidiaries: Northgate
Supply Europe (NSE, EUR books, the central distribution centre in Venlo and
depots in Antwerp, Cologne and Lyon) and Northgate Supply UK (NSUK, GBP books,
depots in Birmingham and Manchester). Sites carry real-looking addresses and
coordinates. Each role has one demo user with access to the companies and
warehouses that role would work in.
"""

from __future__ import annotations

from decimal import Decimal

from crossdock.core.roles import Role

# code, name, legal name, country, base currency, parent code, tax id
COMPANIES = (
    ("NSG", "Northgate Supply Group", "Northgate Supply Group N.V.", "NL", "EUR", None,
     "NL861234567B01"),
    ("NSE", "Northgate Supply Europe", "Northgate Supply Europe B.V.", "NL", "EUR", "NSG",
     "NL862345678B01"),
    ("NSUK", "Northgate Supply UK", "Northgate Supply UK Ltd", "GB", "GBP", "NSG",
     "GB284613975"),
)  # fmt: skip

# company, code, name, region, street, city, postal code, country, latitude, longitude, central
WAREHOUSES = (
    ("NSE", "VENLO", "Venlo distribution centre", "Benelux", "Celsiusweg 40", "Venlo",
     "5928 PR", "NL", "51.401200", "6.139600", True),
    ("NSE", "ANTWERP", "Antwerp depot", "Flanders", "Noorderlaan 147", "Antwerpen",
     "2030", "BE", "51.262100", "4.410900", False),
    ("NSE", "COLOGNE", "Cologne depot", "Rhineland", "Eifeltor 2", "Köln",
     "50997", "DE", "50.892600", "6.915900", False),
    ("NSE", "LYON", "Lyon depot", "Auvergne-Rhône-Alpes", "Rue du Dauphiné 12", "Saint-Priest",
     "69800", "FR", "45.713400", "4.939500", False),
    ("NSUK", "BIRMINGHAM", "Birmingham depot", "West Midlands", "Hams Hall Distribution Park",
     "Coleshill", "B46 1AL", "GB", "52.518600", "-1.713400", False),
    ("NSUK", "MANCHESTER", "Manchester depot", "North West", "Trafford Park Road", "Manchester",
     "M17 1HG", "GB", "53.467900", "-2.318500", False),
)  # fmt: skip

# code, name, net days, discount days, discount percent
PAYMENT_TERMS = (
    ("NET14", "14 days net", 14, None, None),
    ("NET30", "30 days net", 30, None, None),
    ("NET60", "60 days net", 60, None, None),
    ("2-10-NET30", "2/10 net 30", 30, 10, Decimal("2")),
)

# currency, quote currency, starting rate; GBP crosses are derived from the EUR rates
EURO_RATES = (
    ("EUR", "USD", "1.085000"),
    ("EUR", "GBP", "0.852000"),
    ("EUR", "CNY", "7.820000"),
    ("EUR", "CHF", "0.955000"),
    ("EUR", "SEK", "11.450000"),
    ("EUR", "PLN", "4.310000"),
)
GBP_CROSSES = ("USD", "CNY")

ALL_COMPANIES = ("NSG", "NSE", "NSUK")
OPERATING_COMPANIES = ("NSE", "NSUK")
# role: companies, warehouses (none = all of those companies), first name, last name, job title
DEMO_USERS: dict[Role, tuple[tuple[str, ...], tuple[str, ...], str, str, str]] = {
    Role.BUYER: (OPERATING_COMPANIES, (), "Bram", "de Wit", "Buyer"),
    Role.PURCHASING_MANAGER: (ALL_COMPANIES, (), "Ingrid", "Vos", "Purchasing manager"),
    Role.PLANNER: (OPERATING_COMPANIES, (), "Lars", "Visser", "Inventory planner"),
    Role.WAREHOUSE_OPERATOR: (("NSE",), ("VENLO",), "Tomasz", "Nowak", "Warehouse operator"),
    Role.WAREHOUSE_MANAGER: (("NSE",), (), "Karin", "Jansen", "Warehouse manager"),
    Role.SALES_REP: (("NSE",), (), "Lucas", "Peeters", "Sales representative"),
    Role.SALES_MANAGER: (OPERATING_COMPANIES, (), "Sophie", "Martin", "Sales manager"),
    Role.CREDIT_CONTROLLER: (OPERATING_COMPANIES, (), "Daniel", "Hughes", "Credit controller"),
    Role.AP_CLERK: (OPERATING_COMPANIES, (), "Fatima", "El Amrani", "Accounts payable clerk"),
    Role.AR_CLERK: (OPERATING_COMPANIES, (), "Emma", "Schneider", "Accounts receivable clerk"),
    Role.CONTROLLER: (ALL_COMPANIES, (), "Pieter", "Bakker", "Group controller"),
    Role.SERVICE_AGENT: (OPERATING_COMPANIES, (), "Chloe", "Dubois", "Customer service agent"),
    Role.EXECUTIVE: (ALL_COMPANIES, (), "Margaret", "Collins", "Chief operating officer"),
    Role.AUDITOR: (ALL_COMPANIES, (), "Ruben", "Claes", "Internal auditor"),
    Role.ADMINISTRATOR: (ALL_COMPANIES, (), "Noor", "Hendriks", "System administrator"),
}
