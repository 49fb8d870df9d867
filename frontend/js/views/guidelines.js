// Guidelines view: upload a guideline PDF, preview the sections the server found (headings,
// columns and tables already resolved), choose which become contexts and of which topic
// (an existing one or a new one named after the section), and import them all at once.
import { ApiError, api, paths } from '../api.js';
import { announce, clear, field, focusElement, h, toast } from '../dom.js';
import { pluralize } from '../format.js';

const NEW_TOPIC = 'nuevo';

export async function mount(container) {
  const view = new GuidelinesView(container);
  await view.start();
  return () => {};
}

/** What the learner reads when the server refuses a PDF, by error type. */
export function pdfErrorMessage(error) {
  if (!(error instanceof ApiError)) return error.message;
  const detail = error.detail || {};
  switch (error.type) {
    case 'pdf_without_text':
      return 'Este PDF no tiene capa de texto: parece escaneado (solo imágenes). Aquí no se hace OCR: '
        + 'descarga la guía en un PDF con texto o pega el texto en Temas → Añadir contexto.';
    case 'pdf_too_many_pages':
      return `El PDF tiene ${detail.pages ?? 'demasiadas'} páginas y el máximo es ${detail.max_pages ?? '—'}. `
        + 'Sube solo el capítulo que necesitas.';
    case 'pdf_encrypted':
      return 'El PDF está protegido con contraseña: guarda una copia sin protección y súbela.';
    case 'pdf_unreadable':
      return 'No se pudo leer el archivo como PDF (¿está dañado o no es un PDF?). Expórtalo de nuevo.';
    default:
      return error.status === 413 ? 'El PDF supera el tamaño máximo permitido (10 MB).' : error.message;
  }
}

class GuidelinesView {
  constructor(container) {
    this.container = container;
    this.topics = [];
    this.preview = null;
  }

  async start() {
    this.report = h('div', { class: 'import-report', 'aria-live': 'polite' });
    this.sectionsEl = h('section', { class: 'guideline-sections', 'aria-labelledby': 'secciones-titulo', hidden: true });
    this.container.append(
      h('h1', { text: 'Guías en PDF' }),
      h('p', { text: 'Sube una guía clínica en PDF: se divide en secciones por sus títulos (columnas y tablas incluidas, sin cabeceras ni pies de página repetidos). Elige qué secciones serán contexto de tus temas.' }),
      this.uploadForm(),
      this.report,
      this.sectionsEl,
    );
    try {
      this.topics = (await api(paths.topics)).data || [];
    } catch (error) {
      this.report.append(h('p', { class: 'error', text: `No se pudieron cargar los temas: ${error.message}` }));
    }
  }

  uploadForm() {
    this.file = h('input', { type: 'file', accept: '.pdf,application/pdf', required: true });
    this.label = h('input', { type: 'text', maxlength: '200', autocomplete: 'off', required: true });
    this.modulo = h('input', { type: 'text', maxlength: '200', autocomplete: 'off', value: 'Guías' });
    this.file.addEventListener('change', () => {
      if (this.file.files.length && !this.label.value) {
        this.label.value = this.file.files[0].name.replace(/\.pdf$/i, '');
      }
    });
    const form = h('form', { class: 'card-form', 'aria-labelledby': 'form-pdf' },
      h('h2', { id: 'form-pdf', text: 'Subir guía' }),
      field('Archivo PDF', this.file, 'Hasta 10 MB. Un PDF escaneado (sin texto) no se puede leer.'),
      field('Nombre de la guía', this.label, 'Aparece como fuente de cada contexto, p. ej. «GPC Neumonía 2024».'),
      field('Módulo de los temas nuevos', this.modulo),
      h('button', { type: 'submit', class: 'button button-primary', text: 'Ver secciones' }));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.upload();
    });
    return form;
  }

  async upload() {
    clear(this.report);
    this.sectionsEl.hidden = true;
    if (!this.file.files.length) {
      this.report.append(h('p', { class: 'error', text: 'Elige un archivo PDF.' }));
      return;
    }
    const body = new FormData();
    body.append('file', this.file.files[0]);
    this.report.append(h('p', { text: 'Leyendo el PDF…' }));
    try {
      this.preview = await api('/guidelines/preview', { method: 'POST', body });
    } catch (error) {
      clear(this.report).append(h('p', { class: 'error', role: 'alert', text: pdfErrorMessage(error) }));
      return;
    }
    clear(this.report);
    this.renderSections();
  }

  renderSections() {
    const { sections, pages, filename } = this.preview;
    clear(this.sectionsEl);
    this.sectionsEl.hidden = false;
    const heading = h('h2', { id: 'secciones-titulo',
      text: `${filename}: ${pluralize(pages, 'página', 'páginas')}, ${pluralize(sections.length, 'sección', 'secciones')}` });
    this.rows = sections.map((section) => this.sectionRow(section));
    const notes = [];
    if (this.preview.dropped_lines.length) {
      notes.push(h('p', { class: 'hint', text: `Cabeceras y pies de página quitados: ${this.preview.dropped_lines.join(' · ')}` }));
    }
    if (this.preview.pages_without_text.length) {
      notes.push(h('p', { class: 'hint', text: `Páginas sin texto (imágenes): ${this.preview.pages_without_text.join(', ')}` }));
    }
    const importButton = h('button', { type: 'button', class: 'button button-primary', onclick: () => this.importChosen(),
      text: 'Importar las secciones elegidas' });
    this.sectionsEl.append(heading, ...notes, h('ol', { class: 'section-list' }, this.rows.map((r) => r.item)), importButton);
    focusElement(heading);
  }

  sectionRow(section) {
    const chosen = h('input', { type: 'checkbox', checked: true, 'aria-label': `Importar «${section.title}»` });
    const target = h('select', { 'aria-label': `Tema de destino de «${section.title}»` },
      h('option', { value: NEW_TOPIC, text: `Tema nuevo: ${section.title}` }),
      this.topics.map((t) => h('option', { value: String(t.id), text: `${t.modulo} · ${t.title}` })));
    const pagesText = section.first_page === section.last_page
      ? `pág. ${section.first_page}` : `págs. ${section.first_page}–${section.last_page}`;
    const item = h('li', { class: 'guideline-section', dataset: { sectionIndex: String(section.index) } },
      h('label', { class: 'section-choice' }, chosen, h('strong', { text: section.title })),
      h('span', { class: 'hint', text: ` ${pagesText} · ${section.chars.toLocaleString('es-ES')} caracteres` }),
      field('Destino', target),
      h('details', {}, h('summary', { text: 'Ver texto' }),
        h('div', { class: 'section-text', text: section.text })));
    return { item, chosen, target, section };
  }

  async importChosen() {
    clear(this.report);
    const modulo = this.modulo.value.trim() || 'Guías';
    const sections = this.rows.filter((r) => r.chosen.checked).map(({ section, target }) => {
      const base = { title: section.title, text: section.text };
      if (target.value === NEW_TOPIC) return { ...base, new_topic: { title: section.title, modulo } };
      return { ...base, topic_id: Number(target.value) };
    });
    if (!sections.length) {
      this.report.append(h('p', { class: 'error', text: 'Marca al menos una sección.' }));
      return;
    }
    const sourceLabel = this.label.value.trim();
    if (!sourceLabel) {
      this.report.append(h('p', { class: 'error', text: 'Escribe el nombre de la guía (será la fuente de los contextos).' }));
      focusElement(this.label);
      return;
    }
    try {
      const result = await api('/guidelines/import', { method: 'POST', json: { source_label: sourceLabel, sections } });
      const message = `Guardadas ${pluralize(result.contexts.length, 'sección', 'secciones')} como contexto`
        + `${result.topics_created.length ? `; ${pluralize(result.topics_created.length, 'tema nuevo', 'temas nuevos')}` : ''}`
        + `${result.already_stored ? `; ${result.already_stored} ya estaban guardadas` : ''}.`;
      this.report.append(h('p', { class: 'success', text: message }), h('p', {}, h('a', { href: '#/temas', text: 'Ir a Temas' })));
      toast(message, { kind: 'success' });
      announce(message);
      this.topics = (await api(paths.topics)).data || [];
    } catch (error) {
      this.report.append(h('p', { class: 'error', role: 'alert', text: `No se importó nada: ${error.message}` }));
    }
  }
}
