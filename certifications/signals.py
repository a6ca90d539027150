"""What certifications tell the apps above them, which they cannot import (the dependency order
in the README): ``credential_counted`` is sent, inside the writing transaction, when a verified
certificate or a CE credit may complete what a higher app rewards or tracks; the incentives app
listens (``incentives.apps``) and checks the technicians' incentive triggers at once."""

from django.dispatch import Signal

# Keyword arguments: technician_ids (list[int]), today (date).
credential_counted = Signal()
