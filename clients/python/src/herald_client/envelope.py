"""The event envelope: what a receiver gets, what polling and the stream give.

Both names are the generated types of the OpenAPI document's
``EnvelopeView`` and ``List_EnvelopeView``, under the names this client
uses; ``data`` holds the published object (narrow it with the catalog's
``…Data`` types of :mod:`herald_client.models`).
"""
from .models import EnvelopeView as Envelope
from .models import List_EnvelopeView as EnvelopePage

__all__ = ["Envelope", "EnvelopePage"]
