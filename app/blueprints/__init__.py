"""Web areas (one package each) and the JSON API."""
