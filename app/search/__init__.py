"""Search: the gate-filtered query service, similar threads, Whoosh or PostgreSQL backends."""
