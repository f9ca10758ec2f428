"""Every write and every rule of the spec, as plain functions; views only call these."""
