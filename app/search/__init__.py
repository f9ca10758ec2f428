"""Search interface and backends (Whoosh by default); built by the search issue."""
