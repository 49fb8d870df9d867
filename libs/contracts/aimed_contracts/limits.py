"""Size limits on uploads, shared by the gateway and the scheduler (and held to nginx's by tests).

A learner's temario.db is read whole into one transaction; 50 MiB is far more than a
hand-kept syllabus with its SRS columns (about 100,000 rows) and bounds what one upload
can cost the server.
"""

from __future__ import annotations

TEMARIO_MAX_BYTES = 50 * 1024 * 1024
