"""What address_confirmation/ keeps in storage: the sealed PDFs (also ``Document`` rows) and the
signatures, referenced so the orphan sweep leaves them."""
from __future__ import annotations

from addresses.models import AddressConfirmation
from jobs.registry import JobRegistry
from service.files import add_file_reference


def register(jobs: JobRegistry) -> None:
    add_file_reference(AddressConfirmation, "signature_sha256")
    add_file_reference(AddressConfirmation, "pdf_sha256")
