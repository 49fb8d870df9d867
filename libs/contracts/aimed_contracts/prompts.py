"""THE prompt builder: the one function that turns a generation task into chat messages.

Inference (the generator) and training (the fine-tuning job) both call
`build_messages`; a fine-tuned model only behaves if the prompt it meets at inference
is byte-identical to the one it was trained on. So the output depends on the task
alone (no clock, no randomness, no dict-order surprises) and any change to the text
here is a change to the model contract: retrain after it.

The layout serves the server's prompt cache: the system message (the rules and every
card kind's fields) is the same for every request, the topic and the context come next,
and the card kind, level, angle and failed question last. Every card of one topic (each
kind, each variant, each retry) then starts with the same tokens, and every request
with the same system message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from aimed_contracts.cards import DRILL_KIND_BY_LEVEL, CardKind

TaskName = Literal["battlecard", "drill", "variant"]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class ContextPassage(BaseModel):
    """One excerpt of a guideline; `label` names where it comes from (shown to the model)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Text
    label: str | None = None


class AngleSpec(BaseModel):
    """The perspective of a sub-node, and the question the learner failed (not to repeat)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    perspective: Text
    failed_question: str | None = None


class GenerationTask(BaseModel):
    """What to generate: the input of `build_messages`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: TaskName
    topic: Text
    contexts: list[ContextPassage] = Field(min_length=1)
    level: Literal[1, 2] = 1
    angle: AngleSpec | None = None

    @field_validator("contexts", mode="before")
    @classmethod
    def _plain_strings_are_passages(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"text": item} if isinstance(item, str) else item for item in value]
        return value

    @model_validator(mode="after")
    def _variant_needs_angle(self) -> GenerationTask:
        if self.task == "variant" and self.angle is None:
            raise ValueError("task 'variant' needs an angle (perspective, optionally failed_question)")
        return self

    @property
    def card_kind(self) -> CardKind:
        return card_kind_for(self.task, self.level)


def card_kind_for(task: TaskName, level: int) -> CardKind:
    """The card kind a task produces: a drill or variant is an MCQ at level 1, open at level 2."""
    if task == "battlecard":
        return "battlecard"
    if task not in ("drill", "variant"):
        raise ValueError(f"unknown task {task!r}; expected battlecard, drill or variant")
    if level not in DRILL_KIND_BY_LEVEL:
        raise ValueError(f"level must be 1 or 2, got {level!r}")
    return DRILL_KIND_BY_LEVEL[level]


# Each rule is one line of the prompt; the text is split here only to keep lines short.
# The rules ask for what the grounding gate checks: facts strict (numbers with their unit,
# medical terms, sources copied whole, each claim backed by the sentence it cites,
# negations kept), wording free (paraphrase, word forms, connectives, the topic's words,
# spelled-out abbreviations).
_RULES = "\n".join(
    [
        "Eres el Agente Generador de AI-Med Learning. Conviertes fragmentos de guías clínicas "
        "en tarjetas de estudio para estudiantes de medicina.",
        "",
        "Reglas obligatorias (sin excepciones):",
        "1. Usa ÚNICAMENTE la información del Contexto. No añadas conocimiento propio: ningún "
        "fármaco, prueba, dosis, umbral, criterio ni recomendación que el Contexto no diga. "
        "Si algo no está en el Contexto, no lo incluyas.",
        '2. "sources" contiene entre 1 y 8 frases enteras del Contexto, copiadas LITERALMENTE, '
        'carácter por carácter, sin resumirlas ni corregirlas. Los campos "source" son índices '
        "(empezando en 0) de esa lista, y lo que afirma cada elemento lo dice la frase que cita.",
        "3. Los hechos son exactos: todo número (dosis, umbrales, valores de laboratorio, tiempos) "
        "lleva la unidad del Contexto y se refiere a lo mismo que en el Contexto; todo fármaco, "
        "prueba, hallazgo o término médico aparece en el Contexto. Respeta las negaciones: lo que "
        "el Contexto desaconseja o contraindica no se convierte en recomendación, ni al revés.",
        "4. La redacción es libre: puedes parafrasear, cambiar la forma de las palabras (tratar, "
        "tratamiento), usar conectores y las palabras del Tema, y escribir completas las "
        "abreviaturas del Contexto (potasio por K). Lo que nunca cambia es un hecho.",
        "5. Escribe en español, de forma clara y concisa.",
        "6. Responde SOLO con un objeto JSON válido según el esquema: sin texto antes ni "
        "después, sin Markdown.",
    ]
)

_VIGNETTE = (
    '"vignette" (caso clínico breve: el paciente, su edad y sus datos son inventados y puedes '
    "repetirlos en el resto de la tarjeta, pero todo hecho médico que se afirme sale del Contexto)"
)

_KIND_RULES: dict[CardKind, str] = {
    "battlecard": "\n".join(
        [
            "battlecard: la ficha de estudio del tema.",
            'Campos: "schema_version": 1; "kind": "battlecard"; "topic"; "level"; "angle" (la '
            'perspectiva o null); "sources"; "summary" (resumen de 1 a 3 frases); "key_points" '
            '(de 3 a 8 objetos {"text", "source"}, cada uno un hecho del Contexto respaldado por '
            'la frase "source"); "red_flags" (de 0 a 5 signos de alarma o errores peligrosos que '
            "el Contexto mencione; lista vacía si no menciona ninguno).",
        ]
    ),
    "drill_mcq": "\n".join(
        [
            "drill_mcq: pregunta de opción múltiple (nivel 1) sobre un caso clínico.",
            'Campos: "schema_version": 1; "kind": "drill_mcq"; "topic"; "level": 1; "angle" (la '
            f'perspectiva o null); "sources"; {_VIGNETTE}; "question" (la pregunta, terminada en '
            '"?"); "options" (4 o 5 opciones); "answer_index" (índice, desde 0, de la única opción '
            'correcta); "explanation" (por qué la opción correcta lo es, según el Contexto); '
            '"option_rationales" (una justificación breve por opción, en el mismo orden que '
            '"options").',
            "Reglas de la pregunta: una sola mejor respuesta, la que mejor respaldan las frases de "
            '"sources"; opciones únicas, homogéneas (misma categoría y longitud parecida) y '
            'plausibles; prohibido "todas las anteriores" y "ninguna de las anteriores"; las '
            "justificaciones solo citan valores del Contexto, del caso o de las opciones.",
        ]
    ),
    "drill_open": "\n".join(
        [
            "drill_open: pregunta abierta (nivel 2) sobre un caso clínico.",
            'Campos: "schema_version": 1; "kind": "drill_open"; "topic"; "level": 2; "angle" (la '
            f'perspectiva o null); "sources"; {_VIGNETTE}; "question" (una pregunta terminada en '
            '"?" o una consigna en imperativo, como "Justifica…", que pida razonar, no recordar una '
            'lista); "model_answer" (la respuesta esperada, basada solo en el Contexto); "rubric" '
            '(de 2 a 8 objetos {"item", "source"}: los elementos que una buena respuesta debe '
            'contener, cada uno respaldado por la frase "source").',
        ]
    ),
}

_TASK_LABEL: dict[TaskName, str] = {
    "battlecard": "BattleCard (ficha de estudio)",
    "drill": "Drill (pregunta sobre un caso clínico)",
    "variant": "Variante (nuevo Drill del mismo tema desde otra perspectiva)",
}


# Every kind's fields sit in the system message, which is then the same for every request:
# a slot's cached prompt always covers it, and the task at the end names the kind to write.
_SYSTEM = "\n\n".join(
    [_RULES, "Tipos de tarjeta (la Tarea, al final, dice cuál escribir):", *_KIND_RULES.values()]
)


def system_prompt() -> str:
    """The system message: the rules and every card kind's fields, the same for every request."""
    return _SYSTEM


def _context_block(passages: list[ContextPassage]) -> str:
    blocks = []
    for number, passage in enumerate(passages, start=1):
        label = (passage.label or "").strip()
        header = f"[{number}] {label}" if label else f"[{number}]"
        blocks.append(f"{header}\n{passage.text}")
    return "\n\n".join(blocks)


def user_prompt(task: GenerationTask) -> str:
    """The user message: Tema and Contexto first, then the task, its level and angle.

    Everything that is the same for every card of one topic (system rules, topic, the
    numbered passages) comes before anything that differs between a BattleCard, a drill,
    a variant or a retry, so a server's prompt cache reuses the whole context.
    """
    kind = task.card_kind
    lines = [
        f"### Tema\n{task.topic}",
        f"### Contexto\n{_context_block(task.contexts)}",
        f"### Tarea\n{_TASK_LABEL[task.task]}. Tipo de tarjeta: {kind}.",
        f"### Nivel\n{task.level}",
    ]
    if task.angle is None:
        lines.append('### Perspectiva\nNinguna ("angle": null).')
    else:
        angle = (
            f"### Perspectiva\n{task.angle.perspective}\n"
            f'Plantea la tarjeta desde esta perspectiva y escribe "angle": "{task.angle.perspective}".'
        )
        failed = (task.angle.failed_question or "").strip()
        if failed:
            angle += (
                "\nEl estudiante falló esta pregunta; no la repitas ni la reformules, "
                f"evalúa el tema desde la nueva perspectiva:\n{failed}"
            )
        lines.append(angle)
    lines.append("Responde solo con el JSON de la tarjeta.")
    return "\n\n".join(lines)


def build_messages(task: GenerationTask | Mapping[str, Any]) -> list[dict[str, str]]:
    """System + user chat messages for a task; same task, byte-identical messages."""
    if not isinstance(task, GenerationTask):
        task = GenerationTask.model_validate(task)
    return [
        {"role": "system", "content": system_prompt()},
        {"role": "user", "content": user_prompt(task)},
    ]
