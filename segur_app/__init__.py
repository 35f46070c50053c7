"""Portail Ségur Numérique — fournisseurs SAS."""
