// Settings: the access token (kept in this browser's localStorage), the model's
// status, study preferences, exports and backups.
import { CLOCK_KEY, api, getClockOverride, getToken, paths, setToken } from '../api.js';
import { renderClockBanner } from '../app.js';
import { announce, clear, field, h, toast } from '../dom.js';
import { currentLearner } from '../session.js';

export async function mount(container) {
  container.append(h('h1', { text: 'Ajustes' }));
  const access = h('section', { class: 'settings-section', 'aria-labelledby': 'acceso-titulo' });
  container.append(access);
  // The other sections only exist for a signed-in learner: signed out, the page is the
  // token form alone, not a form above empty panels.
  const others = getToken()
    ? {
      model: h('section', { class: 'settings-section', 'aria-labelledby': 'modelo-titulo' }),
      prefs: h('section', { class: 'settings-section', 'aria-labelledby': 'preferencias-titulo' }),
      data: h('section', { class: 'settings-section', 'aria-labelledby': 'datos-titulo' }),
    }
    : {};
  container.append(...Object.values(others));
  renderAccess(access, others);
  if (getClockOverride()) container.append(clockSection());
  if (getToken()) await renderSignedIn(others);
  return () => {};
}

function renderAccess(section, others) {
  clear(section);
  const input = h('input', { type: 'password', autocomplete: 'off', spellcheck: 'false', value: getToken(), name: 'token' });
  const reveal = h('input', { type: 'checkbox', id: 'mostrar-token' });
  reveal.addEventListener('change', () => { input.type = reveal.checked ? 'text' : 'password'; });
  const state = h('p', { class: 'access-state', 'aria-live': 'polite' });
  const form = h('form', { class: 'token-form' },
    field('Token de acceso', input, 'El enlace que imprime make run entra sin escribir nada; el token también está en var/token. Se guarda solo en este navegador.'),
    h('p', { class: 'inline-check' }, reveal, ' ', h('label', { for: 'mostrar-token', text: 'Mostrar el token' })),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button button-primary', text: 'Guardar y entrar' }),
      getToken() ? h('button', { type: 'button', class: 'button', 'data-action': 'sign-out', text: 'Cerrar sesión',
        onclick: () => {
          setToken('');
          toast('Sesión cerrada en este navegador.');
          for (const s of Object.values(others)) s.remove();
          renderAccess(section, {});
        } }) : null),
    state);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      state.className = 'access-state error';
      state.textContent = 'Escribe el token: sin él no se puede entrar.';
      input.focus();
      return;
    }
    setToken(token);
    const learner = await currentLearner({ refresh: true });
    if (!learner) {
      setToken('');
      state.className = 'access-state error';
      state.textContent = 'El servidor rechazó ese token. Cópialo de nuevo desde la salida de make run o de var/token.';
      input.focus();
      return;
    }
    announce(`Sesión iniciada como ${learner.name}.`);
    toast(`Hola, ${learner.name}. Ya puedes estudiar.`, { kind: 'success' });
    window.location.hash = '#/estudiar';
  });
  section.append(h('h2', { id: 'acceso-titulo', text: 'Acceso' }), form);
  if (getToken()) {
    currentLearner().then((learner) => {
      state.className = learner ? 'access-state success' : 'access-state error';
      state.textContent = learner
        ? `Conectado como ${learner.name}${learner.timezone ? ` (${learner.timezone})` : ''}.`
        : 'El token guardado no es válido: introduce uno nuevo.';
    });
  } else {
    state.textContent = 'Introduce tu token para empezar.';
  }
}

async function renderSignedIn({ model, prefs, data }) {
  await Promise.all([renderModel(model), renderPreferences(prefs)]);
  renderData(data);
}

async function renderModel(section) {
  clear(section).append(h('h2', { id: 'modelo-titulo', text: 'Modelo de generación' }));
  const body = h('div', { 'aria-live': 'polite' }, h('p', { text: 'Comprobando…' }));
  section.append(body, h('button', { type: 'button', class: 'button', onclick: () => renderModel(section), text: 'Comprobar de nuevo' }));
  try {
    const status = await api(paths.model);
    clear(body).append(
      h('p', { class: status.available ? 'model-state success' : 'model-state error', dataset: { available: String(status.available) } },
        h('strong', { text: status.available ? 'Disponible' : 'No disponible' }), ` — ${status.message}`),
      h('dl', { class: 'facts' },
        h('dt', { text: 'Modelo' }), h('dd', { text: status.model_id || '—' }),
        h('dt', { text: 'Política de validación' }), h('dd', { text: status.policy }),
        h('dt', { text: 'Tarjetas preparadas por adelantado' }), h('dd', { text: String(status.prefetch_depth) })));
  } catch (error) {
    clear(body).append(h('p', { class: 'error', text: `No se pudo consultar el modelo: ${error.message}` }));
  }
}

async function renderPreferences(section) {
  clear(section).append(h('h2', { id: 'preferencias-titulo', text: 'Preferencias de estudio' }));
  let settings;
  try {
    settings = await api(paths.settings);
  } catch (error) {
    section.append(h('p', { class: 'error', text: `No se pudieron cargar las preferencias: ${error.message}` }));
    return;
  }
  const limit = h('input', { type: 'number', min: '0', max: '100', step: '1', value: settings.daily_new_limit ?? 5 });
  const timezone = h('input', { type: 'text', value: settings.timezone ?? '', autocomplete: 'off' });
  const algorithm = h('select', {},
    h('option', { value: 'sm2', text: 'SM-2 (clásico)' }),
    h('option', { value: 'fsrs', text: 'FSRS-6 (se adapta a tu memoria)' }));
  algorithm.value = settings.algorithm || 'sm2';
  const retention = h('input', { type: 'number', min: '0.7', max: '0.99', step: '0.01', value: settings.desired_retention ?? 0.9 });
  const form = h('form', { class: 'card-form' },
    field('Temas nuevos por día', limit),
    field('Zona horaria', timezone, 'Nombre IANA, por ejemplo Europe/Madrid: marca dónde empieza cada día.'),
    field('Algoritmo de repaso', algorithm,
      'Cambiar no borra nada: FSRS se reconstruye con tus repasos y, si vuelves a SM-2, recuperas su último estado.'),
    field('Retención deseada (FSRS)', retention, 'Probabilidad de recordar en cada repaso (0,70–0,99): más alta, más repasos.'),
    h('button', { type: 'submit', class: 'button button-primary', text: 'Guardar preferencias' }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api(paths.settings, {
        method: 'PATCH',
        json: {
          daily_new_limit: Number(limit.value),
          timezone: timezone.value.trim(),
          algorithm: algorithm.value,
          desired_retention: Number(retention.value),
        },
      });
      await currentLearner({ refresh: true });
      toast('Preferencias guardadas.', { kind: 'success' });
    } catch (error) {
      toast(`No se guardaron: ${error.message}`, { kind: 'error', timeoutMs: 0 });
    }
  });
  section.append(form);
}

function renderData(section) {
  clear(section).append(h('h2', { id: 'datos-titulo', text: 'Exportar y copias de seguridad' }));
  const download = async (path, filename) => {
    try {
      const blob = await api(path, { as: 'blob' });
      const url = URL.createObjectURL(blob);
      const link = h('a', { href: url, download: filename });
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      toast(`No se pudo descargar: ${error.message}`, { kind: 'error' });
    }
  };
  const stamp = new Date().toISOString().slice(0, 10);
  const file = h('input', { type: 'file', accept: '.json,application/json' });
  const form = h('form', { class: 'card-form' },
    field('Restaurar una copia (JSON)', file, 'Solo en una cuenta vacía: no mezcla ni sobrescribe datos.'),
    h('button', { type: 'submit', class: 'button', text: 'Restaurar copia' }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!file.files.length) {
      toast('Elige primero el archivo de copia.', { kind: 'error' });
      return;
    }
    try {
      await api(paths.importBackup, { method: 'POST', body: await file.files[0].text(), contentType: 'application/json' });
      toast('Copia restaurada.', { kind: 'success' });
    } catch (error) {
      toast(`No se restauró nada: ${error.message}`, { kind: 'error', timeoutMs: 0 });
    }
  });
  // Cards the grounding gate refused stay out of Anki unless asked for, then tagged no_verificada.
  const flagged = h('input', { type: 'checkbox' });
  const ankiPath = () => (flagged.checked ? `${paths.exportAnki}?include_flagged=true` : paths.exportAnki);
  section.append(
    field('Incluir en Anki las tarjetas no verificadas', flagged,
      'Las que no pasaron la comprobación de fuentes: llevan la etiqueta no_verificada y los problemas en el reverso.'),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'button', onclick: () => download(ankiPath(), `aimed-${stamp}.apkg`), text: 'Exportar a Anki (.apkg)' }),
      h('button', { type: 'button', class: 'button', onclick: () => download(paths.exportBackup, `aimed-copia-${stamp}.json`), text: 'Descargar copia completa (JSON)' })),
    form);
}

function clockSection() {
  return h('section', { class: 'settings-section', 'aria-labelledby': 'reloj-titulo' },
    h('h2', { id: 'reloj-titulo', text: 'Reloj de prueba' }),
    h('p', { text: `Este navegador envía X-Aimed-Now: ${getClockOverride()} en cada petición (solo para pruebas; el servidor lo rechaza salvo con ALLOW_CLOCK_OVERRIDE).` }),
    h('button', { type: 'button', class: 'button', text: 'Quitar el reloj de prueba', onclick: (event) => {
      window.localStorage.removeItem(CLOCK_KEY);
      renderClockBanner();
      event.target.closest('section').remove();
      toast('Reloj de prueba desactivado.');
    } }));
}
