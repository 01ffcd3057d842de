"""What the court's systems and staff touch: the intake API (and later webhooks, clerk console)."""
