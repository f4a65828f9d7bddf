"""Reports: a period's figures as rows (``capaian.csv``), where to act ("perlu tindakan"), and
the open data-quality issues, read once the same way by bulletins, exports and the web."""
