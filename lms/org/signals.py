"""What the organisation announces to the other packages.

Blinker signals, sent inside the transaction that makes the change, so that a
listener's writes commit or roll back with it (the org package never imports the
packages that listen).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Officials whose record now says they left; keyword ``official_ids``.
officials_left = _signals.signal("officials-left")
