// Study view: the next item from the gateway, its BattleCard (new topics), then the
// drill (MCQ at level 1, open answer at level 2), the reveal and the four grades.
import { ApiError, api, newIdempotencyKey, now, paths } from '../api.js';
import { announce, clear, focusElement, h, isTyping, toast } from '../dom.js';
import { GRADES, KIND_LABELS, OPTION_LETTERS, isoDateIn, pluralize } from '../format.js';
import { groundingWarning } from '../grounding.js';
import { renderInline, renderMarkdown } from '../markdown.js';
import { learnerTimezone } from '../session.js';

const POLL_MIN_S = 1.5;
const POLL_MAX_S = 10;
const UNAVAILABLE_RETRY_S = 20;

export async function mount(container) {
  const view = new StudyView(container);
  view.start();
  return () => view.destroy();
}

class StudyView {
  constructor(container) {
    this.container = container;
    this.next = null; // the last StudyNext
    this.phase = 'loading'; // loading | battlecard | question | revealed | submitting | idle
    this.chosen = null; // MCQ option index
    this.idempotencyKey = null;
    this.shownAt = 0;
    this.lastReview = null;
    this.pollTimer = 0;
    this.generatingSince = 0;
    this.destroyed = false;
    this.onKey = (event) => this.handleKey(event);
    // Focus follows the learner's own actions (grade, undo, retry), never a page load,
    // so the skip link stays the keyboard's first stop.
    this.focusNext = false;
  }

  start() {
    this.container.append(
      h('h1', { text: 'Estudiar' }),
      (this.progressEl = h('section', { class: 'day-progress', 'aria-labelledby': 'progreso-titulo' })),
      (this.lastEl = h('div', { class: 'last-review' })),
      (this.area = h('section', { class: 'study-area', 'aria-label': 'Tarjeta actual' })),
      shortcutsHelp(),
    );
    document.addEventListener('keydown', this.onKey);
    this.refreshProgress();
    this.load();
  }

  destroy() {
    this.destroyed = true;
    window.clearTimeout(this.pollTimer);
    document.removeEventListener('keydown', this.onKey);
  }

  // ---- loading the next item -------------------------------------------------------

  async load({ afterAction = false } = {}) {
    if (afterAction) this.focusNext = true;
    window.clearTimeout(this.pollTimer);
    if (this.phase !== 'generating') {
      this.phase = 'loading';
      this.renderMessage('loading', 'Preparando la siguiente tarjeta…', { busy: true });
    }
    let next;
    try {
      next = await api(paths.next);
    } catch (error) {
      if (this.destroyed) return;
      this.phase = 'idle';
      this.renderError(error);
      return;
    }
    if (this.destroyed) return;
    this.next = next;
    if (next.status === 'ready') {
      this.generatingSince = 0;
      this.showItem();
    } else if (next.status === 'generating') {
      this.showGenerating(next);
    } else if (next.status === 'generation_unavailable') {
      this.generatingSince = 0;
      this.showUnavailable(next);
    } else if (next.status === 'generation_failed') {
      this.generatingSince = 0;
      this.showFailed(next);
    } else {
      this.generatingSince = 0;
      this.phase = 'idle';
      this.renderMessage('done', next.message || 'No quedan tarjetas por hoy. ¡Buen trabajo!', {
        extra: h('p', {}, 'Puedes añadir temas en ', h('a', { href: '#/temas', text: 'Temas' }),
          ' o ver tu evolución en el ', h('a', { href: '#/panel', text: 'Panel' }), '.'),
      });
      announce('No quedan tarjetas por hoy.');
    }
  }

  showGenerating(next) {
    const first = this.phase !== 'generating';
    this.phase = 'generating';
    if (!this.generatingSince) this.generatingSince = Date.now();
    const seconds = Math.round((Date.now() - this.generatingSince) / 1000);
    const topic = next.item?.topic?.title;
    const what = (next.missing?.length ? next.missing : next.item?.card_kinds || [])
      .map((kind) => KIND_LABELS[kind] || kind).join(' y ');
    this.renderMessage('generating', 'Generando tarjeta…', {
      busy: true,
      extra: [
        topic ? h('p', {}, 'Tema: ', h('strong', { text: topic })) : null,
        what ? h('p', { text: `El modelo local está escribiendo: ${what}.` }) : null,
        (next.progress || []).map(generationProgress),
        // Said once, under the bars: the slowness is the machine's, not one card's.
        (next.progress || []).some((p) => p.slow)
          ? h('p', { class: 'hint slow-note', text: 'El modelo va lento en este equipo: la tarjeta llegará, pero tardará. Un modelo más pequeño o un equipo con GPU la escribe antes.' })
          : null,
        h('p', { class: 'hint', text: `Esperando desde hace ${seconds} s. Se mostrará en cuanto esté lista.` }),
      ],
    });
    if (first) announce('Generando tarjeta, espera un momento.');
    const wait = Math.min(POLL_MAX_S, Math.max(POLL_MIN_S, Number(next.retry_after_s) || POLL_MIN_S));
    this.pollTimer = window.setTimeout(() => this.load(), wait * 1000);
  }

  showUnavailable(next) {
    this.phase = 'idle';
    const missing = (next.missing || []).map((kind) => KIND_LABELS[kind] || kind);
    this.renderMessage('unavailable', 'El generador de tarjetas no está disponible', {
      extra: [
        // The gateway's message names card kinds by their identifiers; the list below
        // says the same in the learner's words, so the message is only a fallback.
        missing.length
          ? h('p', { text: `No hay tarjeta generada para este tema y el modelo no responde. Falta: ${missing.join(', ')}.` })
          : h('p', { text: next.message || 'El modelo no responde.' }),
        h('p', { class: 'hint', text: 'Tus repasos anteriores están guardados. Se reintentará automáticamente; también puedes comprobar el estado del modelo en Ajustes.' }),
        h('button', { type: 'button', class: 'button', onclick: () => this.load({ afterAction: true }), text: 'Reintentar ahora' }),
      ],
    });
    announce('El generador de tarjetas no está disponible.');
    this.pollTimer = window.setTimeout(() => this.load(), UNAVAILABLE_RETRY_S * 1000);
  }

  showFailed(next) {
    this.phase = 'idle';
    const issues = Array.isArray(next.detail) ? next.detail : next.detail?.issues || [];
    this.renderMessage('failed', 'No se pudo generar una tarjeta válida', {
      extra: [
        next.item ? h('p', {}, 'Tema: ', h('strong', { text: next.item.topic.title })) : null,
        h('p', { text: next.message || 'El modelo no produjo una tarjeta fiel al contexto del tema.' }),
        issues.length ? h('details', { class: 'issues' }, h('summary', { text: `Problemas detectados (${issues.length})` }),
          h('ul', {}, issues.slice(0, 20).map((issue) => h('li', {
            text: typeof issue === 'string' ? issue : [issue.field, issue.message].filter(Boolean).join(': '),
          })))) : null,
        h('p', { class: 'hint' }, 'Revisa que el tema tenga contexto en ', h('a', { href: '#/temas', text: 'Temas' }),
          '. Reintentar genera una tarjeta nueva.'),
        h('button', { type: 'button', class: 'button', onclick: () => this.load({ afterAction: true }), text: 'Reintentar' }),
      ],
    });
    announce('No se pudo generar una tarjeta válida.');
  }

  renderMessage(kind, title, { busy = false, extra = [] } = {}) {
    clear(this.area);
    this.area.setAttribute('aria-busy', busy ? 'true' : 'false');
    const box = h('div', { class: `study-message study-${kind}`, dataset: { state: kind } },
      busy ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null,
      h('h2', { text: title }),
      extra);
    this.area.append(box);
  }

  renderError(error) {
    this.renderMessage('error', 'No se pudo cargar la siguiente tarjeta', {
      extra: [
        h('p', { class: 'error', text: error.message }),
        h('button', { type: 'button', class: 'button', onclick: () => this.load({ afterAction: true }), text: 'Reintentar' }),
      ],
    });
    announce(error.message);
  }

  // ---- an item with its cards --------------------------------------------------------

  get cards() {
    return this.next?.cards || [];
  }

  get drill() {
    const id = this.next?.card_to_grade_id;
    return this.cards.find((card) => card.id === id) || this.cards[this.cards.length - 1];
  }

  showItem() {
    this.chosen = null;
    this.idempotencyKey = newIdempotencyKey();
    this.area.setAttribute('aria-busy', 'false');
    const battlecard = this.cards.find((card) => card.kind === 'battlecard');
    const focus = this.focusNext;
    this.focusNext = false;
    if (battlecard && battlecard !== this.drill) this.showBattlecard(battlecard, { focus });
    else this.showQuestion({ focus });
  }

  itemHeader(card) {
    const item = this.next.item;
    const badges = [
      h('span', { class: 'badge', text: KIND_LABELS[card.kind] || card.kind }),
      h('span', { class: 'badge', text: `Nivel ${card.level}` }),
      h('span', { class: `badge badge-${item.reason}`, text: item.reason === 'new' ? 'Nuevo' : 'Repaso' }),
    ];
    if (item.angle) {
      const label = item.angle.label || 'Sub-nodo';
      badges.push(h('span', { class: 'badge badge-angle', text: `${label} · ${item.angle.perspective}` }));
    }
    return h('header', { class: 'card-header' },
      h('p', { class: 'card-topic' }, h('span', { class: 'modulo', text: item.topic.modulo }), ' · ',
        h('strong', { text: item.topic.title })),
      h('p', { class: 'badges' }, badges),
      cardAuthor(card),
      groundingWarning(card));
  }

  showBattlecard(card, { focus = true } = {}) {
    this.phase = 'battlecard';
    clear(this.area);
    const heading = h('h2', { text: 'BattleCard: ficha de estudio' });
    const body = h('div', { class: 'markdown card-body' });
    body.append(renderMarkdown(card.markdown || battlecardMarkdown(card.payload)));
    this.area.append(h('article', { class: 'card card-battlecard', dataset: { kind: card.kind, cardId: card.id } },
      this.itemHeader(card), heading, body,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'button button-primary', 'data-action': 'continue',
          onclick: () => this.showQuestion(), text: 'Continuar al drill' }),
        h('span', { class: 'hint', text: 'Espacio o Intro' }))));
    if (focus) focusElement(heading);
    announce(`BattleCard de ${this.next.item.topic.title}. Léela y continúa al drill.`);
  }

  showQuestion({ focus = true } = {}) {
    const card = this.drill;
    this.phase = 'question';
    this.shownAt = Date.now();
    clear(this.area);
    const payload = card.payload || {};
    const heading = h('h2', { text: payload.angle ? `Drill · ${payload.angle}` : 'Drill' });
    const article = h('article', { class: `card card-${card.kind}`, dataset: { kind: card.kind, cardId: card.id } },
      this.itemHeader(card), heading,
      h('section', { class: 'vignette', 'aria-label': 'Caso clínico' },
        h('h3', { text: 'Caso clínico' }), h('div', { class: 'markdown' }, renderMarkdown(payload.vignette, { topLevel: 4 }))),
      h('p', { class: 'question' }, h('strong', {}, renderInline(payload.question))));
    this.article = article;
    if (card.kind === 'drill_mcq') this.buildMcq(article, payload);
    else this.buildOpen(article);
    this.area.append(article);
    if (focus) focusElement(heading);
    announce(card.kind === 'drill_mcq'
      ? 'Pregunta de opción múltiple. Elige una opción con las letras A a E y pulsa Intro para comprobar.'
      : 'Pregunta abierta. Escribe tu respuesta y muestra la respuesta modelo.');
  }

  buildMcq(article, payload) {
    const options = payload.options || [];
    const name = `opcion-${this.drill.id}`;
    this.optionInputs = options.map((option, index) => {
      const input = h('input', { type: 'radio', name, value: String(index), id: `${name}-${index}`,
        onchange: () => { this.chosen = index; this.checkButton.disabled = false; } });
      const label = h('label', { for: input.id, class: 'option-label' },
        h('span', { class: 'option-letter', text: `${OPTION_LETTERS[index]}.` }), ' ', renderInline(option));
      return h('li', { class: 'option', dataset: { index: String(index) } }, input, label);
    });
    this.checkButton = h('button', { type: 'button', class: 'button button-primary', disabled: true,
      'data-action': 'check', onclick: () => this.revealMcq(), text: 'Comprobar' });
    article.append(
      h('fieldset', { class: 'options' }, h('legend', { text: 'Opciones' }),
        h('ul', { class: 'option-list' }, this.optionInputs)),
      h('div', { class: 'actions' }, this.checkButton,
        h('span', { class: 'hint', text: 'Letras A–E para elegir · Intro para comprobar' })));
  }

  buildOpen(article) {
    this.answerInput = h('textarea', { id: `respuesta-${this.drill.id}`, rows: '6', class: 'answer-input',
      'aria-describedby': `respuesta-ayuda-${this.drill.id}` });
    this.answerInput.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.revealOpen();
      }
    });
    article.append(
      h('div', { class: 'field' },
        h('label', { for: this.answerInput.id, text: 'Tu respuesta' }), this.answerInput,
        h('p', { class: 'hint', id: `respuesta-ayuda-${this.drill.id}`,
          text: 'Escribe lo que responderías en la guardia. Ctrl+Intro muestra la respuesta modelo.' })),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'button button-primary', 'data-action': 'reveal',
          onclick: () => this.revealOpen(), text: 'Mostrar respuesta modelo' })));
  }

  // ---- reveals -------------------------------------------------------------------------

  revealMcq() {
    if (this.phase !== 'question') return;
    if (this.chosen === null) {
      announce('Elige primero una opción (letras A a E).');
      return;
    }
    const payload = this.drill.payload;
    const correctIndex = payload.answer_index;
    const right = this.chosen === correctIndex;
    this.optionInputs.forEach((li, index) => {
      li.querySelector('input').disabled = true;
      const marks = [];
      if (index === correctIndex) {
        li.classList.add('option-correct');
        marks.push(h('span', { class: 'option-mark mark-correct', text: 'Correcta' }));
      }
      if (index === this.chosen) {
        li.classList.add('option-chosen');
        if (!right) li.classList.add('option-wrong');
        marks.push(h('span', { class: 'option-mark mark-chosen', text: 'Tu respuesta' }));
      }
      const rationale = payload.option_rationales?.[index];
      li.append(...marks);
      if (rationale) li.append(h('p', { class: 'rationale' }, renderInline(rationale)));
    });
    this.checkButton.closest('.actions').remove();
    const letter = OPTION_LETTERS[correctIndex];
    const verdict = right ? 'Correcto' : `Incorrecto: la respuesta correcta es la ${letter}`;
    const resultHeading = h('h3', { class: right ? 'verdict verdict-right' : 'verdict verdict-wrong', text: verdict });
    this.article.append(h('section', { class: 'reveal', 'aria-label': 'Solución' },
      resultHeading,
      h('h4', { text: 'Explicación' }), h('div', { class: 'markdown' }, renderMarkdown(payload.explanation, { topLevel: 5 })),
      sourcesBlock(payload.sources)));
    this.showGrades(right ? null : 'fail');
    focusElement(resultHeading);
    announce(`${verdict}. Califica con las teclas 1 a 4.`);
  }

  revealOpen() {
    if (this.phase !== 'question') return;
    const payload = this.drill.payload;
    const answer = this.answerInput.value;
    this.answerInput.readOnly = true;
    this.article.querySelector('[data-action="reveal"]').closest('.actions').remove();
    const rubric = payload.rubric || [];
    const counter = h('p', { class: 'rubric-count', 'aria-live': 'polite' });
    const boxes = rubric.map((entry, index) => {
      const id = `rubrica-${this.drill.id}-${index}`;
      const box = h('input', { type: 'checkbox', id, onchange: () => updateCount() });
      return h('li', {}, box, ' ', h('label', { for: id }, renderInline(entry.item ?? entry)));
    });
    const updateCount = () => {
      const done = boxes.filter((li) => li.querySelector('input').checked).length;
      counter.textContent = `${done} de ${rubric.length} elementos incluidos`;
    };
    updateCount();
    const heading = h('h3', { text: 'Respuesta modelo' });
    this.article.append(h('section', { class: 'reveal', 'aria-label': 'Solución' },
      heading, h('div', { class: 'markdown' }, renderMarkdown(payload.model_answer, { topLevel: 5 })),
      h('h4', { text: 'Rúbrica: marca lo que incluiste' }),
      h('ul', { class: 'rubric' }, boxes), counter,
      answer.trim() ? null : h('p', { class: 'hint', text: 'No escribiste respuesta: califica como Fallo si no la sabías.' }),
      sourcesBlock(payload.sources)));
    this.openAnswer = answer;
    this.showGrades(null);
    focusElement(heading);
    announce('Respuesta modelo y rúbrica mostradas. Autocalifícate con las teclas 1 a 4.');
  }

  showGrades(suggested) {
    this.phase = 'revealed';
    const buttons = GRADES.map(({ grade, key, label }) => {
      const interval = this.intervalLabel(grade);
      return h('button', {
        type: 'button', class: ['button', 'grade', `grade-${grade}`, suggested === grade ? 'grade-suggested' : ''],
        'data-grade': grade, 'aria-keyshortcuts': key,
        'aria-label': `${label}${interval ? `, próxima revisión en ${interval}` : ''} (tecla ${key})`,
        onclick: () => this.grade(grade),
      }, h('span', { class: 'grade-label', text: label }),
      h('span', { class: 'grade-interval', text: interval }),
      h('kbd', { class: 'grade-key', text: key }));
    });
    this.gradeButtons = buttons;
    this.article.append(h('div', { class: 'grades', role: 'group', 'aria-label': 'Califica tu respuesta' }, buttons));
  }

  // ---- grading ---------------------------------------------------------------------

  async grade(grade) {
    if (this.phase !== 'revealed') return;
    this.phase = 'submitting';
    for (const button of this.gradeButtons) button.disabled = true;
    const card = this.drill;
    const body = {
      card_id: card.id,
      grade,
      state_version: this.next.item.state.version,
      idempotency_key: this.idempotencyKey,
      duration_ms: Math.max(0, Date.now() - this.shownAt),
    };
    if (card.kind === 'drill_mcq') body.chosen_option = this.chosen;
    if (card.kind === 'drill_open') body.answer = this.openAnswer || '';
    let result;
    try {
      result = await api(paths.reviews, { method: 'POST', json: body });
    } catch (error) {
      if (this.destroyed) return;
      if (error instanceof ApiError && error.status === 409) {
        toast(error.message, { kind: 'error' });
        this.load();
        return;
      }
      // Same idempotency key on retry: a repeated click never grades twice.
      this.phase = 'revealed';
      for (const button of this.gradeButtons) button.disabled = false;
      toast(`No se guardó la calificación: ${error.message}`, { kind: 'error' });
      return;
    }
    if (this.destroyed) return;
    this.showOutcome(result);
    this.refreshProgress();
    this.load({ afterAction: true });
  }

  /** The gateway's label for a grade's next interval ("10 min", "6 d", "1,5 meses"), shown as is. */
  intervalLabel(grade) {
    return (this.next.grade_previews || []).find((p) => p.grade === grade)?.label || '';
  }

  showOutcome(result) {
    const label = GRADES.find((g) => g.grade === result.grade)?.label || result.grade;
    // The button's own label: the learner reads the same interval before and after grading.
    const interval = this.intervalLabel(result.grade);
    const parts = [interval ? `${label}: próxima revisión en ${interval}.` : `${label}: calificación guardada.`];
    if (result.angle_created) {
      const angle = result.angle_created;
      parts.push(`Nuevo ${angle.label || 'sub-nodo'}: ${angle.perspective}.`);
      if (result.variant_generation === 'started' || result.variant_generation === 'already_running') {
        parts.push('Se está generando una variante desde esa perspectiva.');
      } else if (result.variant_generation === 'unavailable') {
        parts.push('El generador no está disponible: la variante se generará cuando vuelva.');
      }
    }
    const previousLevel = this.next.item.state.level;
    if (result.state.level > previousLevel) parts.push(`¡Nivel ${result.state.level} alcanzado! Las preguntas serán abiertas.`);
    if (result.state.mastered && !this.next.item.state.mastered) parts.push('¡Tema dominado!');
    if (result.message) parts.push(result.message);
    const text = parts.join(' ');
    this.lastReview = result;
    clear(this.lastEl);
    this.lastEl.append(h('p', { class: 'last-review-text', dataset: { grade: result.grade } }, text, ' ',
      h('button', { type: 'button', class: 'link-button', 'data-action': 'undo', 'aria-keyshortcuts': 'u',
        onclick: () => this.undo(), text: 'Deshacer (U)' })));
    announce(text);
  }

  async undo() {
    if (!this.lastReview || this.phase === 'submitting') return;
    try {
      await api(paths.undo, { method: 'POST' });
    } catch (error) {
      toast(`No se pudo deshacer: ${error.message}`, { kind: 'error' });
      return;
    }
    this.lastReview = null;
    clear(this.lastEl);
    toast('Se deshizo el último repaso.', { kind: 'info' });
    announce('Se deshizo el último repaso.');
    this.refreshProgress();
    this.load({ afterAction: true });
  }

  // ---- progress of the day -----------------------------------------------------------

  async refreshProgress() {
    let stats;
    try {
      stats = await api(paths.stats);
    } catch {
      return;
    }
    if (this.destroyed) return;
    const today = isoDateIn(now(), await learnerTimezone());
    const done = (stats.heatmap || []).find((entry) => entry.date === today)?.count || 0;
    const fresh = stats.new_available_today || 0;
    const due = (stats.due_today || 0) + fresh;
    clear(this.progressEl);
    this.progressEl.append(
      h('h2', { id: 'progreso-titulo', class: 'visually-hidden', text: 'Progreso de hoy' }),
      h('p', { class: 'progress-text', dataset: { done: String(done), due: String(due) } },
        h('strong', { text: pluralize(done, 'repaso hecho', 'repasos hechos') }),
        ` hoy · ${due} pendientes${fresh ? ` (${pluralize(fresh, 'tema nuevo', 'temas nuevos')})` : ''}`),
      h('progress', { max: String(Math.max(1, done + due)), value: String(done),
        'aria-label': `Progreso de hoy: ${done} de ${done + due}` }));
  }

  // ---- keyboard --------------------------------------------------------------------

  handleKey(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (isTyping(event.target)) return;
    const key = event.key;
    const onControl = event.target instanceof Element && event.target.closest('button, a, summary');
    const confirm = key === 'Enter' || key === ' ';
    if (confirm && onControl) return; // the focused control does its own thing
    if (this.phase === 'battlecard' && confirm) {
      event.preventDefault();
      this.showQuestion();
    } else if (this.phase === 'question' && this.drill.kind === 'drill_mcq') {
      const index = OPTION_LETTERS.toLowerCase().indexOf(key.toLowerCase());
      if (key.length === 1 && index >= 0 && index < this.optionInputs.length) {
        event.preventDefault();
        const input = this.optionInputs[index].querySelector('input');
        input.checked = true;
        input.dispatchEvent(new Event('change'));
        input.focus();
      } else if (key === 'Enter' || (key === ' ' && !(event.target instanceof HTMLInputElement))) {
        event.preventDefault();
        this.revealMcq();
      }
    } else if (this.phase === 'question' && confirm) {
      event.preventDefault();
      this.revealOpen();
    } else if (this.phase === 'revealed') {
      const grade = GRADES.find((g) => g.key === key);
      if (grade) {
        event.preventDefault();
        this.grade(grade.grade);
      }
    }
    if ((key === 'u' || key === 'U') && this.lastReview && this.phase !== 'question') {
      event.preventDefault();
      this.undo();
    }
  }
}

// One card the model is writing: a bar of its tokens out of the usual length, the speed
// and the time left.
function generationProgress(progress) {
  const kind = KIND_LABELS[progress.kind] || progress.kind;
  const attempt = progress.attempt > 1 ? ` (intento ${progress.attempt})` : '';
  if (progress.state === 'queued') {
    return h('div', { class: 'generation-progress', dataset: { kind: progress.kind, state: 'queued' } },
      h('p', { text: `${kind}${attempt}: en cola, el modelo está leyendo el contexto o terminando otra tarjeta.` }));
  }
  const speed = progress.tokens_per_s ? `${progress.tokens_per_s.toFixed(1).replace('.', ',')} tokens/s` : null;
  const left = progress.eta_s != null ? `quedan unos ${formatSeconds(progress.eta_s)}` : null;
  const label = `${kind}${attempt}: ${progress.tokens} de ~${progress.estimated_tokens} tokens`;
  return h('div', { class: 'generation-progress', dataset: { kind: progress.kind, state: progress.state } },
    h('p', { class: 'generation-label' }, h('strong', { text: label }), [speed, left].filter(Boolean).length ? ` · ${[speed, left].filter(Boolean).join(' · ')}` : ''),
    h('progress', { max: String(progress.estimated_tokens), value: String(progress.tokens), 'aria-label': label }));
}

function formatSeconds(seconds) {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  return `${Math.round(seconds / 60)} min`;
}

// Who wrote the card: the demo's hand-written examples say so, the model's cards name it.
function cardAuthor(card) {
  if (card.origin === 'example') {
    return h('p', { class: 'card-author card-author-example', dataset: { origin: 'example' } },
      h('strong', { text: 'Tarjeta de ejemplo (escrita a mano)' }),
      ' — así es una tarjeta fiel al contexto; el modelo escribe las siguientes.');
  }
  return h('p', { class: 'card-author', dataset: { origin: 'model' } },
    'Escrita por el modelo ', h('code', { text: card.model_id || 'desconocido' }));
}

function sourcesBlock(sources) {
  if (!sources || !sources.length) return null;
  return h('details', { class: 'sources' }, h('summary', { text: 'Fuentes del contexto' }),
    h('ol', {}, sources.map((source) => h('li', {}, h('q', {}, renderInline(source))))));
}

// Only used if the gateway ever sends a BattleCard without its Markdown rendering.
function battlecardMarkdown(payload = {}) {
  const points = (payload.key_points || []).map((p) => `- ${p.text ?? p}`).join('\n');
  const flags = (payload.red_flags || []).map((f) => `- ${f}`).join('\n');
  return `## Resumen\n\n${payload.summary || ''}\n\n## Puntos clave\n\n${points}\n\n## Banderas rojas\n\n${flags || '- Ninguna.'}`;
}

function shortcutsHelp() {
  return h('details', { class: 'shortcuts' }, h('summary', { text: 'Atajos de teclado' }),
    h('dl', {},
      h('dt', {}, h('kbd', { text: 'Espacio' }), ' / ', h('kbd', { text: 'Intro' })),
      h('dd', { text: 'Continuar, comprobar o mostrar la respuesta' }),
      h('dt', {}, h('kbd', { text: 'A' }), '–', h('kbd', { text: 'E' })),
      h('dd', { text: 'Elegir una opción' }),
      h('dt', {}, h('kbd', { text: '1' }), '–', h('kbd', { text: '4' })),
      h('dd', { text: 'Calificar: Fallo, Difícil, Bien, Fácil' }),
      h('dt', {}, h('kbd', { text: 'Ctrl' }), '+', h('kbd', { text: 'Intro' })),
      h('dd', { text: 'Mostrar la respuesta modelo desde el cuadro de texto' }),
      h('dt', {}, h('kbd', { text: 'U' })),
      h('dd', { text: 'Deshacer el último repaso' })));
}
