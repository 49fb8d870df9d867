"""Column names accepted for topic fields in CSV/JSON imports and in a learner's temario.db."""

from __future__ import annotations

import unicodedata

# field -> accepted column names (compared without accents, case or spaces/dashes).
TOPIC_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "tema", "nombre", "name", "topic", "titulo"),
    "modulo": ("modulo", "module", "bloque", "asignatura", "especialidad"),
    "priority": ("priority", "prioridad"),
    "date_assigned": ("date_assigned", "fecha_asignada", "fecha", "assigned", "fecha_asignacion", "date"),
    "status": ("status", "estado"),
    "ease_factor": ("ease_factor", "ef", "easiness", "ease", "facilidad", "factor_facilidad"),
    "interval": ("interval", "intervalo", "interval_days", "intervalo_dias"),
    "repetitions": ("repetitions", "repeticiones", "reps", "repetition"),
    "lapses": ("lapses", "fallos", "lapsos"),
    "next_review": ("next_review", "proxima_revision", "due", "due_at", "due_date", "next_review_date"),
    "last_review": ("last_review", "ultima_revision", "last_reviewed", "last_reviewed_at", "reviewed_at"),
}

ANGLE_ALIASES: dict[str, tuple[str, ...]] = {
    "topic_ref": ("topic_id", "tema_id", "id_tema", "topic"),
    "perspective": ("perspective", "perspectiva", "angulo", "angle", "enfoque"),
    "label": ("label", "etiqueta", "nombre", "sub_nodo", "subnodo"),
    "status": ("status", "estado"),
    "ease_factor": TOPIC_ALIASES["ease_factor"],
    "interval": TOPIC_ALIASES["interval"],
    "repetitions": TOPIC_ALIASES["repetitions"],
    "lapses": TOPIC_ALIASES["lapses"],
    "next_review": TOPIC_ALIASES["next_review"],
    "last_review": TOPIC_ALIASES["last_review"],
}

# Text priorities seen in hand-made temarios; 1 is the most urgent.
PRIORITY_WORDS = {"alta": 1, "high": 1, "media": 3, "medium": 3, "normal": 3, "baja": 5, "low": 5}


def normalise(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return folded.strip().lower().replace(" ", "_").replace("-", "_")


def map_columns(names: list[str], aliases: dict[str, tuple[str, ...]]) -> tuple[dict[str, str], list[str]]:
    """Returns ({column: field}, unmapped columns); the first column found for a field wins."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    unmapped: list[str] = []
    for name in names:
        key = normalise(name)
        field = next((f for f, accepted in aliases.items() if key in accepted and f not in taken), None)
        if field is None:
            unmapped.append(name)
        else:
            mapping[name] = field
            taken.add(field)
    return mapping, unmapped
