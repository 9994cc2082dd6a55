"""What the ontology announces to other apps."""
from django.dispatch import Signal

# Sent by ``ontology.labels`` whenever it stores label rows, inside the same transaction, with ``words``:
# the set of the rows' normalised words (search adds them to its typo vocabulary). ``sender`` is the
# label model, a historical one when a data migration stores the rows.
labels_changed = Signal()
