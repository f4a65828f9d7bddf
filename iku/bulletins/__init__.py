"""Bulletins: the read model of a period, view models, HTML and PDF rendering."""
