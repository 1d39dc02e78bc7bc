"""Accounting: chart of accounts, journals, periods, journal entries and perpetual valuation."""
