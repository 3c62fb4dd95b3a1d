"""Councillors Online: UK local councillors, their public accounts and how active they are."""

__version__ = "0.1.0"
