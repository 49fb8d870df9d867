"""Scale-out evidence on PostgreSQL: several schedulers and gateways behind nginx."""
