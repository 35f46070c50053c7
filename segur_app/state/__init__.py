"""Thin Reflex states: they check the session, call the domain, expose display values."""
