"""What the community package announces to the other packages.

Blinker signals, sent inside the transaction that makes the change (as
lms/org/signals.py does), so that a listener's writes commit or roll back with it;
the sender is the commune (a Unit).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: People who attended an in-person class; keywords ``class_id``, ``user_ids``.
attended_class = _signals.signal("community-attended-class")
#: Citizens registered in person by a helper; keywords ``user_ids``, ``helper_id``.
registered_in_person = _signals.signal("community-registered-in-person")
