"""Build-time frontend assets: the DSFR stylesheet reduced to what the portal uses."""
