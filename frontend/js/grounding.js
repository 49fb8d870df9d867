// The learner's warning panel for a card that failed the grounding gate (served under the
// `flag` policy): every problem in Spanish, with the rule, the claim, the word or value and
// the closest sentence of the guideline. All of it is model or guideline text: it only ever
// lands in text nodes (dom.js `h`), never in markup.

import { h } from './dom.js';
import { OPTION_LETTERS, pluralize } from './format.js';

// One Spanish label per gate rule (aimed_contracts.grounding IssueCode, docs/cards.md).
export const ISSUE_LABELS = {
  schema_invalid: 'Formato de la tarjeta',
  wrong_kind: 'Tipo de tarjeta equivocado',
  level_kind_mismatch: 'Nivel y tipo de pregunta no coinciden',
  answer_index_out_of_range: 'Respuesta correcta inexistente',
  rationale_count_mismatch: 'Justificaciones incompletas',
  source_index_out_of_range: 'Cita una fuente que no existe',
  source_not_in_context: 'Fuente que no es copia literal de la guía',
  number_not_in_context: 'Cifra que no está en la guía',
  unsupported_term: 'Término que la guía no menciona',
  claim_not_in_cited_source: 'La fuente citada no respalda la afirmación',
  polarity_mismatch: 'Recomendación invertida',
  value_entity_mismatch: 'Cifra atribuida a otra cosa',
  key_not_best_supported: 'La respuesta marcada no es la mejor respaldada',
  duplicate_options: 'Opciones repetidas',
  forbidden_option: 'Opción no permitida',
  question_not_a_question: 'Enunciado que no es una pregunta',
  judge_contradicted: 'El revisor automático ve una contradicción',
  judge_not_in_context: 'El revisor automático no lo encuentra en la guía',
  judge_unavailable: 'Revisión automática no disponible',
};

const FIELD_LABELS = {
  summary: () => 'Resumen',
  key_points: (i) => `Punto clave ${i + 1}`,
  red_flags: (i) => `Bandera roja ${i + 1}`,
  sources: (i) => `Fuente ${i + 1}`,
  vignette: () => 'Caso clínico',
  question: () => 'Enunciado',
  options: (i) => `Opción ${OPTION_LETTERS[i] || i + 1}`,
  answer_index: () => 'Respuesta marcada como correcta',
  explanation: () => 'Explicación',
  option_rationales: (i) => `Justificación de la opción ${OPTION_LETTERS[i] || i + 1}`,
  model_answer: () => 'Respuesta modelo',
  rubric: (i) => `Rúbrica, criterio ${i + 1}`,
};

/** "key_points[2].text" → "Punto clave 3"; an unknown path is shown as it is. */
export function fieldLabel(field) {
  const match = /^([a-z_]+)(?:\[(\d+)\])?/.exec(field || '');
  const label = match && FIELD_LABELS[match[1]];
  return label ? label(Number(match[2] || 0)) : (field || '');
}

function issueItem(issue) {
  const rule = ISSUE_LABELS[issue.code] || 'Problema de fidelidad al contexto';
  const details = [];
  if (issue.claim) {
    details.push(h('dt', { text: 'Afirmación' }), h('dd', { class: 'issue-claim' }, h('q', { text: issue.claim })));
  }
  if (issue.evidence) {
    details.push(h('dt', { text: 'Palabra o cifra' }),
      h('dd', { class: 'issue-evidence' }, h('mark', { text: issue.evidence })));
  }
  if (issue.closest_sentence) {
    details.push(h('dt', { text: 'Frase más cercana de la guía' }),
      h('dd', { class: 'issue-closest' }, h('q', { text: issue.closest_sentence })));
  }
  return h('li', { class: 'grounding-issue', dataset: { code: issue.code || '' } },
    h('p', { class: 'issue-rule' }, h('strong', { text: rule }),
      issue.field ? h('span', { class: 'issue-field', text: ` · ${fieldLabel(issue.field)}` }) : null),
    // message_es is the gate's Spanish explanation; reports stored before it existed only
    // have `message`, which is still better than no explanation at all.
    (issue.message_es || issue.message)
      ? h('p', { class: 'issue-message', text: issue.message_es || issue.message }) : null,
    details.length ? h('dl', { class: 'issue-details' }, details) : null);
}

/** The warning for a card the gate refused, or null for a card that passed. */
export function groundingWarning(card) {
  const report = card.grounding_report;
  if (!report || report.valid !== false) return null;
  const issues = report.issues || [];
  return h('div', { class: 'warning grounding-warning', role: 'note' },
    h('p', {}, h('strong', { text: 'Aviso: ' }),
      `esta tarjeta no superó la comprobación de fidelidad al contexto (${pluralize(issues.length, 'problema', 'problemas')}). Contrástala con la guía antes de fiarte de ella.`),
    issues.length ? h('details', {}, h('summary', { text: 'Ver los problemas' }),
      h('ol', { class: 'grounding-issues' }, issues.slice(0, 20).map(issueItem))) : null);
}
