"""The service domain: courts, cases, documents, services (送达), recipients, deliveries,
their state machine, storage, and the append-only event table."""
