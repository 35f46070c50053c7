"""HTTP routes served next to Reflex (mounted through ``rx.App(api_transformer=...)``)."""
