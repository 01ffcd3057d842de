"""Carriers: one interface (carrier.py), the Kuaidi100 tracking aggregator and a dev carrier."""
