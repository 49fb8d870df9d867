// Topics view: the syllabus by module, a calendar of assigned dates, each topic's SRS
// state, contexts and angles, and the forms to add topics, import a syllabus and add
// context (guideline excerpts).
import { ApiError, api, now, paths } from '../api.js';
import { announce, clear, field, focusElement, h, toast } from '../dom.js';
import { STATUS_LABELS, formatDate, formatDateTime, pluralize } from '../format.js';
import { renderMarkdown } from '../markdown.js';

const WEEKDAYS = ['L', 'M', 'X', 'J', 'V', 'S', 'D'];
const WEEKDAY_NAMES = ['lunes', 'martes', 'miércoles', 'jueves', 'viernes', 'sábado', 'domingo'];
const monthFormatter = new Intl.DateTimeFormat('es-ES', { month: 'long', year: 'numeric' });

export async function mount(container) {
  const view = new TopicsView(container);
  await view.start();
  return () => {};
}

class TopicsView {
  constructor(container) {
    this.container = container;
    this.topics = [];
    const today = now();
    this.month = { year: today.getFullYear(), month: today.getMonth() };
  }

  async start() {
    this.listEl = h('section', { class: 'topic-list', 'aria-labelledby': 'temas-lista' });
    this.detailEl = h('section', { class: 'topic-detail', 'aria-labelledby': 'detalle-titulo', hidden: true });
    this.calendarEl = h('section', { class: 'calendar', 'aria-labelledby': 'calendario-titulo' });
    this.container.append(
      h('h1', { text: 'Temas' }),
      this.listEl,
      this.detailEl,
      this.calendarEl,
      h('section', { class: 'forms', 'aria-labelledby': 'anadir-titulo' },
        h('h2', { id: 'anadir-titulo', text: 'Añadir' }),
        h('div', { class: 'form-grid' }, this.topicForm(), this.importForm(), this.temarioForm(), this.contextForm())),
    );
    await this.reload();
  }

  async reload() {
    try {
      const page = await api(paths.topics);
      this.topics = page.data || [];
    } catch (error) {
      clear(this.listEl).append(h('p', { class: 'error', text: `No se pudieron cargar los temas: ${error.message}` }));
      return;
    }
    this.renderList();
    this.renderCalendar();
    this.fillTopicChoices();
  }

  // ---- list by module --------------------------------------------------------------

  renderList() {
    clear(this.listEl);
    this.listEl.append(h('h2', { id: 'temas-lista', text: `Tu temario (${pluralize(this.topics.length, 'tema', 'temas')})` }));
    if (!this.topics.length) {
      this.listEl.append(h('p', { text: 'Aún no hay temas. Añade uno, importa un temario (CSV o JSON) o tu temario.db más abajo.' }));
      return;
    }
    const byModule = new Map();
    for (const topic of this.topics) {
      if (!byModule.has(topic.modulo)) byModule.set(topic.modulo, []);
      byModule.get(topic.modulo).push(topic);
    }
    for (const [modulo, topics] of [...byModule.entries()].sort(([a], [b]) => a.localeCompare(b, 'es'))) {
      topics.sort((a, b) => String(a.date_assigned || '').localeCompare(String(b.date_assigned || '')));
      const rows = topics.map((topic) => h('tr', { dataset: { topicId: String(topic.id) } },
        h('th', { scope: 'row', text: topic.title }),
        h('td', { text: formatDate(topic.date_assigned) }),
        h('td', { text: statusLabel(topic) }),
        h('td', { text: srsOf(topic).level ? `Nivel ${srsOf(topic).level}` : '—' }),
        h('td', { text: masteryLabel(topic) }),
        h('td', { text: String(topic.angle_count ?? 0) }),
        h('td', { text: srsOf(topic).due_at ? formatDateTime(srsOf(topic).due_at) : '—' }),
        h('td', {}, h('button', { type: 'button', class: 'link-button', 'data-action': 'detail',
          'aria-label': `Ver detalles de ${topic.title}`, onclick: () => this.showDetail(topic), text: 'Detalles' }))));
      this.listEl.append(h('div', { class: 'table-wrap' }, h('table', { class: 'topics-table' },
        h('caption', { text: modulo }),
        h('thead', {}, h('tr', {}, ['Tema', 'Asignado', 'Estado', 'Nivel', 'Dominio', 'Sub-nodos', 'Próximo repaso', '']
          .map((title) => h('th', { scope: 'col', text: title })))),
        h('tbody', {}, rows))));
    }
  }

  async showDetail(topic) {
    this.detailEl.hidden = false;
    clear(this.detailEl);
    const heading = h('h2', { id: 'detalle-titulo', text: topic.title });
    const contextsEl = h('div', { class: 'contexts' }, h('p', { text: 'Cargando contextos…' }));
    const anglesEl = h('div', { class: 'angles' });
    this.detailEl.append(heading,
      h('dl', { class: 'facts' },
        h('dt', { text: 'Módulo' }), h('dd', { text: topic.modulo }),
        h('dt', { text: 'Fecha asignada' }), h('dd', { text: formatDate(topic.date_assigned) }),
        h('dt', { text: 'Prioridad' }), h('dd', { text: String(topic.priority ?? '—') }),
        h('dt', { text: 'Estado' }), h('dd', { text: statusLabel(topic) }),
        h('dt', { text: 'Dominio' }), h('dd', { text: masteryLabel(topic) })),
      h('h3', { text: 'Sub-nodos (ángulos)' }), anglesEl,
      h('h3', { text: 'Contextos' }), contextsEl,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'button', onclick: () => this.selectForContext(topic), text: 'Añadir contexto a este tema' }),
        h('button', { type: 'button', class: 'button button-danger', onclick: () => this.deleteTopic(topic), text: 'Eliminar tema' }),
        h('button', { type: 'button', class: 'link-button', onclick: () => { this.detailEl.hidden = true; }, text: 'Cerrar' })));
    focusElement(heading);
    const [contexts, angles] = await Promise.allSettled([
      api(paths.contexts(topic.id)),
      api(`${paths.angles}?topic_id=${encodeURIComponent(topic.id)}`),
    ]);
    showListing(contextsEl, contexts, 'Sin contexto: las tarjetas se generan a partir de él. Añade un extracto de la guía.',
      (data) => data.map(contextBlock));
    showListing(anglesEl, angles, 'Ninguno todavía: un Fallo crea un sub-nodo desde una perspectiva nueva.',
      (data) => [h('ul', {}, data.map((angle) => h('li', {},
        h('strong', { text: angle.label || 'Sub-nodo' }), ` · ${angle.perspective} · ${STATUS_LABELS[angle.status] || angle.status || ''}`)))]);
  }

  async deleteTopic(topic) {
    if (!window.confirm(`¿Eliminar «${topic.title}» con su historial y tarjetas? No se puede deshacer.`)) return;
    try {
      await api(paths.topic(topic.id), { method: 'DELETE' });
    } catch (error) {
      toast(`No se pudo eliminar: ${error.message}`, { kind: 'error' });
      return;
    }
    this.detailEl.hidden = true;
    announce(`Tema ${topic.title} eliminado.`);
    await this.reload();
  }

  // ---- calendar -----------------------------------------------------------------

  renderCalendar() {
    clear(this.calendarEl);
    const { year, month } = this.month;
    const title = monthFormatter.format(new Date(year, month, 1));
    const byDate = new Map();
    for (const topic of this.topics) {
      if (!topic.date_assigned) continue;
      const key = String(topic.date_assigned).slice(0, 10);
      if (!byDate.has(key)) byDate.set(key, []);
      byDate.get(key).push(topic);
    }
    const first = new Date(year, month, 1);
    const offset = (first.getDay() + 6) % 7; // Monday first
    const days = new Date(year, month + 1, 0).getDate();
    const rows = [];
    let cells = [];
    for (let i = 0; i < offset; i += 1) cells.push(h('td', { class: 'empty' }));
    for (let day = 1; day <= days; day += 1) {
      const key = `${year}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
      const assigned = byDate.get(key) || [];
      cells.push(h('td', { class: assigned.length ? 'has-topics' : '', dataset: { date: key } },
        h('span', { class: 'day-number', text: String(day) }),
        // A phone's seventh of the width fits no title: it shows the count (CSS picks).
        assigned.length ? h('span', { class: 'day-count', text: pluralize(assigned.length, 'tema', 'temas') }) : null,
        assigned.length ? h('ul', {}, assigned.map((t) => h('li', { text: t.title }))) : null));
      if (cells.length === 7) {
        rows.push(h('tr', {}, cells));
        cells = [];
      }
    }
    if (cells.length) {
      while (cells.length < 7) cells.push(h('td', { class: 'empty' }));
      rows.push(h('tr', {}, cells));
    }
    const move = (delta) => {
      const d = new Date(year, month + delta, 1);
      this.month = { year: d.getFullYear(), month: d.getMonth() };
      this.renderCalendar();
      this.calendarEl.querySelector('caption').focus();
    };
    this.calendarEl.append(
      h('h2', { id: 'calendario-titulo', text: 'Calendario de temas asignados' }),
      h('div', { class: 'calendar-nav' },
        h('button', { type: 'button', class: 'button', onclick: () => move(-1), text: '← Mes anterior' }),
        h('button', { type: 'button', class: 'button', onclick: () => move(1), text: 'Mes siguiente →' })),
      h('table', { class: 'calendar-table' },
        h('caption', { tabindex: '-1', 'aria-live': 'polite', text: title }),
        h('thead', {}, h('tr', {}, WEEKDAYS.map((d, i) => h('th', { scope: 'col', abbr: WEEKDAY_NAMES[i], text: d })))),
        h('tbody', {}, rows)));
  }

  // ---- forms ----------------------------------------------------------------------

  topicForm() {
    const name = h('input', { type: 'text', required: true, maxlength: '300', autocomplete: 'off' });
    const modulo = h('input', { type: 'text', required: true, maxlength: '200', list: 'modulos', autocomplete: 'off' });
    const priority = h('select', {}, [1, 2, 3, 4, 5].map((p) => h('option', { value: String(p), text: String(p) })));
    priority.value = '3';
    const date = h('input', { type: 'date' });
    this.moduleList = h('datalist', { id: 'modulos' });
    const form = h('form', { class: 'card-form', 'aria-labelledby': 'form-tema' },
      h('h3', { id: 'form-tema', text: 'Nuevo tema' }),
      field('Nombre del tema', name), field('Módulo', modulo, 'Por ejemplo: Cardiología'), this.moduleList,
      field('Prioridad (1 = máxima)', priority), field('Fecha asignada', date, 'Déjala vacía para hoy'),
      h('button', { type: 'submit', class: 'button button-primary', text: 'Añadir tema' }));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { title: name.value.trim(), modulo: modulo.value.trim(), priority: Number(priority.value) };
      if (date.value) body.date_assigned = date.value;
      try {
        const created = await api(paths.topics, { method: 'POST', json: body });
        form.reset();
        priority.value = '3';
        toast(`Tema «${created.title}» añadido.`, { kind: 'success' });
        announce(`Tema ${created.title} añadido.`);
        await this.reload();
      } catch (error) {
        toast(`No se añadió el tema: ${describe(error)}`, { kind: 'error', timeoutMs: 0 });
      }
    });
    return form;
  }

  importForm() {
    const file = h('input', { type: 'file', accept: '.csv,.json,text/csv,application/json' });
    const text = h('textarea', { rows: '6', spellcheck: 'false' });
    const format = h('select', {},
      h('option', { value: 'auto', text: 'Detectar' }),
      h('option', { value: 'csv', text: 'CSV' }),
      h('option', { value: 'json', text: 'JSON' }));
    const report = h('div', { class: 'import-report rows-report', 'aria-live': 'polite' });
    const form = h('form', { class: 'card-form', 'aria-labelledby': 'form-importar' },
      h('h3', { id: 'form-importar', text: 'Importar temario' }),
      field('Archivo CSV o JSON', file),
      field('…o pega el contenido', text,
        'CSV con cabecera tema,modulo,prioridad,fecha (o title,modulo,priority,date_assigned), o JSON: una lista de objetos con esos campos. Todo o nada: si una fila falla, no se importa ninguna.'),
      field('Formato', format),
      h('button', { type: 'submit', class: 'button button-primary', text: 'Importar' }),
      report);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clear(report);
      let content = text.value;
      let kind = format.value;
      if (file.files.length) {
        content = await file.files[0].text();
        if (kind === 'auto') kind = file.files[0].name.toLowerCase().endsWith('.json') ? 'json' : 'csv';
      }
      if (!content.trim()) {
        report.append(h('p', { class: 'error', text: 'Elige un archivo o pega el contenido del temario.' }));
        return;
      }
      if (kind === 'auto') kind = /^\s*[[{]/.test(content) ? 'json' : 'csv';
      try {
        const result = await api(paths.topicsImport, {
          method: 'POST', body: content, contentType: kind === 'json' ? 'application/json' : 'text/csv',
        });
        const count = result.created ?? result.count ?? (result.data || []).length;
        form.reset();
        // The list, calendar and topic choices show the new topics before the report says so.
        await this.reload();
        report.append(h('p', { class: 'success', text: `Importados ${pluralize(count, 'tema', 'temas')}.` }));
      } catch (error) {
        report.append(h('p', { class: 'error', text: `No se importó nada: ${error.message}` }), rowErrors(error));
      }
    });
    return form;
  }

  // The learner's own temario.db (SQLite): a preview of what would be imported first, then
  // the import itself, which stores exactly what the preview showed.
  temarioForm() {
    const file = h('input', { type: 'file', accept: '.db,.sqlite,.sqlite3,application/vnd.sqlite3,application/x-sqlite3' });
    const report = h('div', { class: 'import-report temario-report', 'aria-live': 'polite' });
    const previewButton = h('button', { type: 'submit', class: 'button', text: 'Vista previa' });
    const form = h('form', { class: 'card-form temario-form', 'aria-labelledby': 'form-temario' },
      h('h3', { id: 'form-temario', text: 'Importar temario.db' }),
      field('Archivo temario.db (SQLite)', file,
        'Tu base de datos del plan original (tabla topics o temas; sub-nodos opcionales). Conserva el estado de repaso (EF, intervalo, próxima revisión). Máximo 50 MiB. Primero verás qué se importará; nada se guarda hasta que confirmes.'),
      previewButton,
      report);
    const upload = (dryRun) => {
      const body = new FormData();
      body.append('file', file.files[0], file.files[0].name);
      return api(`${paths.importTemario}?dry_run=${dryRun ? 'true' : 'false'}`, { method: 'POST', body });
    };
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clear(report);
      if (!file.files.length) {
        report.append(h('p', { class: 'error', text: 'Elige tu archivo temario.db.' }));
        return;
      }
      previewButton.disabled = true;
      let preview;
      try {
        preview = await upload(true);
      } catch (error) {
        report.append(h('p', { class: 'error', text: `No se pudo leer el archivo: ${error.message}` }));
        return;
      } finally {
        previewButton.disabled = false;
      }
      const confirm = h('button', {
        type: 'button', class: 'button button-primary', disabled: preview.topics_imported === 0,
        text: `Importar ${pluralize(preview.topics_imported, 'tema', 'temas')}`,
      });
      const cancel = h('button', { type: 'button', class: 'link-button', text: 'Cancelar', onclick: () => clear(report) });
      confirm.addEventListener('click', async () => {
        confirm.disabled = true;
        try {
          const result = await upload(false);
          form.reset();
          await this.reload();
          clear(report).append(h('p', { class: 'success', text:
            `Importados ${pluralize(result.topics_imported, 'tema', 'temas')} y ${pluralize(result.angles_imported, 'sub-nodo', 'sub-nodos')}.` }));
          announce('Temario importado.');
        } catch (error) {
          confirm.disabled = false;
          report.append(h('p', { class: 'error', text: `No se importó nada: ${error.message}` }));
        }
      });
      report.append(...temarioPreview(preview), h('div', { class: 'actions' }, confirm, cancel));
      focusElement(report.querySelector('h4'));
    });
    return form;
  }

  contextForm() {
    this.contextTopic = h('select', { required: true });
    const label = h('input', { type: 'text', maxlength: '300', autocomplete: 'off' });
    const file = h('input', { type: 'file', accept: '.md,.markdown,.txt,text/plain,text/markdown' });
    const text = h('textarea', { rows: '8' });
    const format = h('select', {},
      h('option', { value: 'markdown', text: 'Markdown' }),
      h('option', { value: 'text', text: 'Texto plano' }));
    file.addEventListener('change', async () => {
      if (!file.files.length) return;
      text.value = await file.files[0].text();
      if (!label.value) label.value = file.files[0].name;
      format.value = /\.(md|markdown)$/i.test(file.files[0].name) ? 'markdown' : 'text';
    });
    const form = h('form', { class: 'card-form', 'aria-labelledby': 'form-contexto' },
      h('h3', { id: 'form-contexto', text: 'Añadir contexto' }),
      field('Tema', this.contextTopic),
      field('Fuente', label, 'Por ejemplo: Guía ESC 2023, sección 4'),
      field('Archivo (.md o .txt)', file),
      field('Texto del extracto', text, 'Las tarjetas solo pueden afirmar lo que dice este texto.'),
      field('Formato', format),
      h('button', { type: 'submit', class: 'button button-primary', text: 'Guardar contexto' }));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!text.value.trim()) {
        toast('El contexto está vacío: pega el extracto o elige un archivo.', { kind: 'error' });
        text.focus();
        return;
      }
      const topic = this.topics.find((t) => String(t.id) === this.contextTopic.value);
      try {
        await api(paths.contexts(this.contextTopic.value), {
          method: 'POST', json: { source_label: label.value.trim(), text: text.value, format: format.value },
        });
        form.reset();
        toast(`Contexto guardado en «${topic?.title || 'el tema'}».`, { kind: 'success' });
        announce('Contexto guardado.');
        if (topic) await this.showDetail(topic);
      } catch (error) {
        toast(`No se guardó el contexto: ${describe(error)}`, { kind: 'error', timeoutMs: 0 });
      }
    });
    return form;
  }

  fillTopicChoices() {
    const selected = this.contextTopic.value;
    clear(this.contextTopic).append(
      h('option', { value: '', text: this.topics.length ? 'Elige un tema…' : 'Primero añade un tema' }),
      ...this.topics.map((t) => h('option', { value: String(t.id), text: `${t.modulo} · ${t.title}` })));
    this.contextTopic.value = selected;
    clear(this.moduleList).append(...[...new Set(this.topics.map((t) => t.modulo))].map((m) => h('option', { value: m })));
  }

  selectForContext(topic) {
    this.contextTopic.value = String(topic.id);
    focusElement(this.contextTopic);
  }
}

const PREVIEW_TOPICS = 50;

function temarioPreview(preview) {
  const topics = preview.topics || [];
  const skipped = preview.rows_skipped || [];
  const unmapped = Object.entries(preview.unmapped_columns || {}).filter(([, columns]) => columns.length);
  const parts = [
    h('h4', { tabindex: '-1', text: 'Vista previa (aún no se ha guardado nada)' }),
    h('p', { text: `Se importarán ${pluralize(preview.topics_imported, 'tema', 'temas')} y ${pluralize(preview.angles_imported, 'sub-nodo', 'sub-nodos')}; ${pluralize(skipped.length, 'fila se omitirá', 'filas se omitirán')}.` }),
  ];
  if (topics.length) {
    parts.push(h('div', { class: 'table-wrap' }, h('table', { class: 'temario-topics' },
      h('caption', { text: topics.length > PREVIEW_TOPICS ? `Temas (los primeros ${PREVIEW_TOPICS} de ${topics.length})` : 'Temas' }),
      h('thead', {}, h('tr', {}, ['Tema', 'Módulo', 'Asignado', 'Nivel', 'Próximo repaso'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, topics.slice(0, PREVIEW_TOPICS).map((t) => h('tr', {},
        h('th', { scope: 'row', text: t.title }), h('td', { text: t.modulo }), h('td', { text: formatDate(t.date_assigned) }),
        h('td', { text: `Nivel ${t.level}` }), h('td', { text: t.due_at ? formatDateTime(t.due_at) : 'Nuevo' })))))));
  }
  if (skipped.length) {
    parts.push(h('div', { class: 'table-wrap' }, h('table', { class: 'row-errors temario-skipped' },
      h('caption', { text: 'Filas que no se importarán' }),
      h('thead', {}, h('tr', {}, ['Tabla', 'Fila', 'Columna', 'Motivo'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, skipped.map((r) => h('tr', {},
        h('td', { text: r.table }), h('td', { text: String(r.row) }), h('td', { text: r.column || '—' }), h('td', { text: r.reason })))))));
  }
  if (unmapped.length) {
    parts.push(h('p', { text: `Columnas que no se importan: ${unmapped.map(([table, columns]) => `${table}: ${columns.join(', ')}`).join('; ')}.` }));
  }
  for (const note of preview.notes || []) parts.push(h('p', { class: 'note', text: note }));
  return parts;
}

// Fills one list of a topic's detail from its settled request: the error that kept it from
// loading, the note for an empty list, or the rendered items.
function showListing(element, settled, emptyText, render) {
  clear(element);
  if (settled.status === 'rejected') {
    element.append(h('p', { class: 'error', text: settled.reason.message }));
  } else if (!settled.value.data.length) {
    element.append(h('p', { text: emptyText }));
  } else {
    element.append(...render(settled.value.data));
  }
}

function contextBlock(context) {
  // Plain text is valid Markdown, so every context goes through the same sanitised path.
  return h('article', { class: 'context', dataset: { contextId: String(context.id) } },
    h('p', { class: 'context-label' }, h('strong', { text: context.source_label || 'Sin fuente' })),
    h('div', { class: 'markdown context-body' }, renderMarkdown(context.text, { topLevel: 4 })));
}

function srsOf(topic) {
  return topic.srs || {};
}

function statusLabel(topic) {
  const srs = srsOf(topic);
  if (topic.status === 'suspended') return STATUS_LABELS.suspended;
  if (srs.mastered) return STATUS_LABELS.mastered;
  if (!srs.due_at) return STATUS_LABELS.new;
  return srs.lapses ? `${STATUS_LABELS.review} (${pluralize(srs.lapses, 'fallo', 'fallos')})` : STATUS_LABELS.review;
}

function masteryLabel(topic) {
  const srs = srsOf(topic);
  if (srs.mastered) return 'Dominado';
  const parts = [];
  if (srs.ease_factor) parts.push(`EF ${Number(srs.ease_factor).toLocaleString('es-ES', { maximumFractionDigits: 2 })}`);
  if (srs.interval_days) parts.push(`intervalo ${Math.round(srs.interval_days)} d`);
  return parts.join(' · ') || '—';
}

function describe(error) {
  if (error instanceof ApiError && Array.isArray(error.detail) && error.detail.length) {
    return `${error.message} ${error.detail.map((d) => `${(d.loc || [d.field]).filter(Boolean).join('.')}: ${d.msg || d.message}`).join('; ')}`;
  }
  return error.message;
}

function rowErrors(error) {
  if (!(error instanceof ApiError) || !Array.isArray(error.detail) || !error.detail.length) return null;
  return h('table', { class: 'row-errors' },
    h('caption', { text: 'Filas con errores (corrígelas y vuelve a importar)' }),
    h('thead', {}, h('tr', {}, ['Fila', 'Campo', 'Problema'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, error.detail.map((d) => h('tr', {},
      h('td', { text: String(d.row ?? '—') }), h('td', { text: String(d.field ?? (d.loc || []).join('.')) }),
      h('td', { text: String(d.message ?? d.msg ?? '') })))));
}
