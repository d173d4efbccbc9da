"""Reports: the compliance indicator, its exports and the reporting API."""
