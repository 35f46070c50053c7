"""Small presentational building blocks (DSFR markup through ``rx.el``)."""
