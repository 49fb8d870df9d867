"""A worked example: a guideline excerpt and one grounded card of each kind written from it.

Used by the tests, the gate-cost benchmark and docs/cards.md; other services may use
them as known-good input (e.g. `POST /v1/validate`). The context is written for this
project in the style of a clinical guideline; it is teaching material, not medical advice.
"""

from __future__ import annotations

from typing import Any

EXAMPLE_TOPIC = "Cetoacidosis diabética"

EXAMPLE_CONTEXT = (
    "La cetoacidosis diabética (CAD) se diagnostica con glucemia mayor de 250 mg/dL, "
    "pH arterial menor de 7,30, bicarbonato sérico menor de 18 mEq/L y cetonemia positiva. "
    "El tratamiento inicial es la reposición de volumen con suero salino al 0,9 % a "
    "15-20 mL/kg durante la primera hora. "
    "Antes de iniciar la insulina debe comprobarse que el potasio sérico es de al menos "
    "3,3 mEq/L; si es menor, se repone potasio y se retrasa la insulina. "
    "La insulina regular intravenosa se administra en perfusión continua a 0,1 U/kg/h. "
    "Cuando la glucemia desciende a 200 mg/dL se añade suero glucosado al 5 % y se reduce "
    "la perfusión de insulina a 0,02-0,05 U/kg/h. "
    "La CAD se considera resuelta cuando la glucemia es menor de 200 mg/dL y se cumplen dos "
    "de estos criterios: bicarbonato sérico de al menos 15 mEq/L, pH venoso mayor de 7,3 y "
    "anión gap de 12 mEq/L o menos. "
    "El bicarbonato intravenoso solo se recomienda si el pH es menor de 6,9. "
    "El edema cerebral es la complicación más grave, más frecuente en niños, y se sospecha "
    "ante cefalea, disminución del nivel de conciencia o bradicardia durante el tratamiento. "
    "La hipopotasemia y la hipoglucemia son las complicaciones más frecuentes del tratamiento "
    "con insulina."
)

EXAMPLE_BATTLECARD: dict[str, Any] = {
    "schema_version": 1,
    "kind": "battlecard",
    "topic": EXAMPLE_TOPIC,
    "level": 1,
    "angle": None,
    "sources": [
        "La cetoacidosis diabética (CAD) se diagnostica con glucemia mayor de 250 mg/dL, "
        "pH arterial menor de 7,30, bicarbonato sérico menor de 18 mEq/L y cetonemia positiva.",
        "El tratamiento inicial es la reposición de volumen con suero salino al 0,9 % a "
        "15-20 mL/kg durante la primera hora.",
        "Antes de iniciar la insulina debe comprobarse que el potasio sérico es de al menos "
        "3,3 mEq/L; si es menor, se repone potasio y se retrasa la insulina.",
        "La insulina regular intravenosa se administra en perfusión continua a 0,1 U/kg/h.",
        "El edema cerebral es la complicación más grave, más frecuente en niños, y se sospecha "
        "ante cefalea, disminución del nivel de conciencia o bradicardia durante el tratamiento.",
    ],
    "summary": (
        "La CAD se diagnostica con glucemia mayor de 250 mg/dL, pH arterial menor de 7,30 y "
        "bicarbonato sérico menor de 18 mEq/L; el tratamiento inicial es la reposición de volumen "
        "y la insulina regular intravenosa en perfusión continua."
    ),
    "key_points": [
        {
            "text": "Diagnóstico: glucemia mayor de 250 mg/dL, pH arterial menor de 7,30, bicarbonato "
            "sérico menor de 18 mEq/L y cetonemia positiva.",
            "source": 0,
        },
        {
            "text": "Reposición de volumen inicial con suero salino al 0,9 % a 15-20 mL/kg durante la "
            "primera hora.",
            "source": 1,
        },
        {
            "text": "Comprobar que el potasio sérico es de al menos 3,3 mEq/L antes de iniciar la insulina.",
            "source": 2,
        },
        {"text": "Insulina regular intravenosa en perfusión continua a 0,1 U/kg/h.", "source": 3},
    ],
    "red_flags": [
        "Iniciar la insulina con potasio sérico menor de 3,3 mEq/L.",
        "Cefalea, disminución del nivel de conciencia o bradicardia durante el tratamiento: "
        "sospecha de edema cerebral.",
    ],
}

EXAMPLE_DRILL_MCQ: dict[str, Any] = {
    "schema_version": 1,
    "kind": "drill_mcq",
    "topic": EXAMPLE_TOPIC,
    "level": 1,
    "angle": None,
    "sources": [
        "Antes de iniciar la insulina debe comprobarse que el potasio sérico es de al menos "
        "3,3 mEq/L; si es menor, se repone potasio y se retrasa la insulina.",
        "La insulina regular intravenosa se administra en perfusión continua a 0,1 U/kg/h.",
    ],
    "vignette": (
        "Mujer de 24 años con diabetes tipo 1 que acude a urgencias con vómitos y dolor "
        "abdominal de 2 días de evolución. Glucemia 480 mg/dL, pH 7,12, bicarbonato 9 mEq/L, "
        "cetonemia positiva y potasio sérico 2,9 mEq/L. Ha recibido la primera hora de suero "
        "salino al 0,9 %."
    ),
    "question": "¿Cuál es el siguiente paso más adecuado?",
    "options": [
        "Reponer potasio y retrasar la insulina",
        "Iniciar insulina regular intravenosa a 0,1 U/kg/h",
        "Administrar bicarbonato intravenoso",
        "Añadir suero glucosado al 5 %",
    ],
    "answer_index": 0,
    "explanation": (
        "Antes de iniciar la insulina debe comprobarse que el potasio sérico es de al menos "
        "3,3 mEq/L; si es menor, se repone potasio y se retrasa la insulina."
    ),
    "option_rationales": [
        "Correcta: el potasio sérico es menor de 3,3 mEq/L.",
        "Incorrecta: con potasio menor de 3,3 mEq/L la insulina se retrasa.",
        "Incorrecta: el bicarbonato solo se recomienda si el pH es menor de 6,9.",
        "Incorrecta: el suero glucosado al 5 % se añade cuando la glucemia desciende a 200 mg/dL.",
    ],
}

EXAMPLE_DRILL_OPEN: dict[str, Any] = {
    "schema_version": 1,
    "kind": "drill_open",
    "topic": EXAMPLE_TOPIC,
    "level": 2,
    "angle": "criterios de resolución",
    "sources": [
        "La CAD se considera resuelta cuando la glucemia es menor de 200 mg/dL y se cumplen dos "
        "de estos criterios: bicarbonato sérico de al menos 15 mEq/L, pH venoso mayor de 7,3 y "
        "anión gap de 12 mEq/L o menos.",
        "Cuando la glucemia desciende a 200 mg/dL se añade suero glucosado al 5 % y se reduce "
        "la perfusión de insulina a 0,02-0,05 U/kg/h.",
    ],
    "vignette": (
        "Varón de 19 años tratado de CAD con perfusión de insulina. A las 12 horas presenta "
        "glucemia 180 mg/dL, bicarbonato 16 mEq/L, pH venoso 7,34 y anión gap 11 mEq/L."
    ),
    "question": "¿Se puede considerar resuelta la CAD en este paciente y por qué?",
    "model_answer": (
        "Sí: la glucemia es menor de 200 mg/dL y se cumplen los criterios de bicarbonato sérico "
        "de al menos 15 mEq/L, pH venoso mayor de 7,3 y anión gap de 12 mEq/L o menos."
    ),
    "rubric": [
        {"item": "Glucemia menor de 200 mg/dL.", "source": 0},
        {
            "item": "Se cumplen dos de estos criterios: bicarbonato sérico de al menos 15 mEq/L, pH "
            "venoso mayor de 7,3 y anión gap de 12 mEq/L o menos.",
            "source": 0,
        },
        {
            "item": "Cuando la glucemia desciende a 200 mg/dL se añade suero glucosado al 5 % y se reduce "
            "la perfusión de insulina.",
            "source": 1,
        },
    ],
}

EXAMPLE_CARDS: dict[str, dict[str, Any]] = {
    "battlecard": EXAMPLE_BATTLECARD,
    "drill_mcq": EXAMPLE_DRILL_MCQ,
    "drill_open": EXAMPLE_DRILL_OPEN,
}
