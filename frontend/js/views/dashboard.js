// Dashboard: what is due today, the 30-day forecast, mastery by module, the review
// heatmap and the angles in progress. Every chart has a data table beside it, so the
// numbers are reachable without seeing the canvas.
import { api, now, paths } from '../api.js';
import { clear, h } from '../dom.js';
import { formatDate, formatPercent, isoDateIn, pluralize } from '../format.js';
import { learnerTimezone } from '../session.js';

const COLORS = {
  forecast: '#0f5c73',
  level1: '#8fb8c9',
  level2: '#2f7f9a',
  mastered: '#1f7a4d',
};

export async function mount(container) {
  const charts = [];
  container.append(h('h1', { text: 'Panel' }));
  const body = h('div', { class: 'dashboard', 'aria-busy': 'true' }, h('p', { text: 'Cargando estadísticas…' }));
  container.append(body);
  let stats;
  let angles = null;
  let topics = null;
  try {
    [stats, angles, topics] = await Promise.all([
      api(`${paths.stats}?days=30`),
      api(`${paths.angles}?status=active`).catch(() => null),
      api(paths.topics).catch(() => null),
    ]);
  } catch (error) {
    clear(body).append(h('p', { class: 'error', text: `No se pudieron cargar las estadísticas: ${error.message}` }));
    body.setAttribute('aria-busy', 'false');
    return () => {};
  }
  clear(body);
  body.append(kpis(stats));
  const forecast = chartSection('pronostico', 'Pronóstico de repasos (30 días)',
    'Gráfico de barras: repasos previstos por día durante los próximos 30 días.',
    ['Fecha', 'Repasos'], (stats.forecast || []).map((d) => [formatDate(d.date), d.count]));
  const mastery = chartSection('dominio', 'Dominio por módulo',
    'Gráfico de barras apiladas: temas por módulo en nivel 1, nivel 2 y dominados.',
    ['Módulo', 'Nivel 1', 'Nivel 2 (con dominados)', 'Dominados', 'Total'],
    (stats.by_modulo || []).map((m) => [m.modulo, m.level1, m.level2, m.mastered, m.total]));
  const today = isoDateIn(now(), await learnerTimezone());
  body.append(forecast.section, mastery.section, heatmap(stats.heatmap || [], today), anglesSection(stats, angles, topics));
  body.setAttribute('aria-busy', 'false');

  const Chart = await loadChartJs();
  charts.push(new Chart(forecast.canvas, {
    type: 'bar',
    data: {
      labels: (stats.forecast || []).map((d) => shortDate(d.date)),
      datasets: [{ label: 'Repasos previstos', data: (stats.forecast || []).map((d) => d.count), backgroundColor: COLORS.forecast }],
    },
    options: baseOptions({ stacked: false }),
  }));
  const modules = stats.by_modulo || [];
  charts.push(new Chart(mastery.canvas, {
    type: 'bar',
    data: {
      labels: modules.map((m) => m.modulo),
      datasets: [
        // The scheduler counts mastered topics inside level 2: stack them apart, not twice.
        { label: 'Nivel 1', data: modules.map((m) => m.level1 || 0), backgroundColor: COLORS.level1 },
        { label: 'Nivel 2', data: modules.map((m) => Math.max(0, (m.level2 || 0) - (m.mastered || 0))), backgroundColor: COLORS.level2 },
        { label: 'Dominados', data: modules.map((m) => m.mastered || 0), backgroundColor: COLORS.mastered },
      ],
    },
    options: { ...baseOptions({ stacked: true }), indexAxis: 'y' },
  }));
  for (const [chart, section] of [[charts[0], forecast], [charts[1], mastery]]) {
    section.canvas.dataset.chart = chart.config.type;
  }
  return () => charts.forEach((chart) => chart.destroy());
}

async function loadChartJs() {
  // The UMD bundle sets globalThis.Chart when evaluated (see infra/scripts/frontend_vendor.sh).
  await import('../../vendor/chart.umd.min.js');
  return globalThis.Chart;
}

function baseOptions({ stacked }) {
  const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: reduceMotion ? false : { duration: 300 },
    plugins: { legend: { display: stacked, position: 'bottom' } },
    scales: {
      x: { stacked, ticks: { precision: 0 } },
      y: { stacked, beginAtZero: true, ticks: { precision: 0 } },
    },
  };
}

function shortDate(iso) {
  const [, m, d] = String(iso).split('-');
  return `${Number(d)}/${Number(m)}`;
}

function kpis(stats) {
  const items = [
    ['Para hoy', String(stats.due_today ?? 0), 'kpi-due'],
    ['Repasos totales', String(stats.reviews_total ?? 0), 'kpi-reviews'],
    ['Tasa de acierto', formatPercent(stats.success_rate), 'kpi-success'],
    ['Sub-nodos en curso', String(stats.angles_in_progress ?? 0), 'kpi-angles'],
  ];
  if (stats.cards_ready !== null && stats.cards_ready !== undefined) {
    items.push(['Tarjetas listas', String(stats.cards_ready), 'kpi-ready']);
  }
  const section = h('section', { class: 'kpis', 'aria-labelledby': 'resumen-titulo' },
    h('h2', { id: 'resumen-titulo', text: 'Resumen' }),
    h('dl', { class: 'kpi-list' }, items.map(([label, value, cls]) =>
      h('div', { class: `kpi ${cls}` }, h('dt', { text: label }), h('dd', { text: value })))));
  if (stats.generation_available === false) {
    section.append(h('p', { class: 'warning', text: 'El generador de tarjetas no está disponible: solo se sirven las tarjetas ya generadas.' }));
  }
  return section;
}

function chartSection(id, title, description, columns, rows) {
  const canvas = h('canvas', { id: `grafico-${id}`, role: 'img', 'aria-label': description });
  const section = h('section', { class: 'chart-section', 'aria-labelledby': `${id}-titulo` },
    h('h2', { id: `${id}-titulo`, text: title }),
    h('div', { class: 'chart-box' }, canvas),
    h('details', { class: 'chart-data' }, h('summary', { text: 'Ver los datos en una tabla' }),
      rows.length
        ? h('table', {}, h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', text: c })))),
          h('tbody', {}, rows.map((r) => h('tr', {}, r.map((v, i) => (i === 0 ? h('th', { scope: 'row', text: String(v) }) : h('td', { text: String(v ?? 0) })))))))
        : h('p', { text: 'Sin datos todavía.' })));
  return { section, canvas };
}

const HEATMAP_WEEKS = 20;
const DAY_MS = 86_400_000;

/** Every day of the last HEATMAP_WEEKS weeks up to today, from the scheduler's sparse [{date, count}]. */
function denseDays(sparse, today) {
  const counts = new Map(sparse.map((d) => [String(d.date).slice(0, 10), d.count]));
  const [y, m, d] = today.split('-').map(Number);
  const end = Date.UTC(y, m - 1, d);
  const endWeekday = (new Date(end).getUTCDay() + 6) % 7; // Monday = 0
  const start = end - ((HEATMAP_WEEKS - 1) * 7 + endWeekday) * DAY_MS;
  const days = [];
  for (let t = start; t <= end; t += DAY_MS) {
    const date = new Date(t).toISOString().slice(0, 10);
    days.push({ date, count: counts.get(date) || 0 });
  }
  return days;
}

function heatmap(sparse, today) {
  const days = denseDays(sparse, today);
  const max = Math.max(0, ...days.map((d) => d.count));
  const levelOf = (count) => (count === 0 || max === 0 ? 0 : Math.min(4, Math.ceil((count / max) * 4)));
  const total = days.reduce((sum, d) => sum + d.count, 0);
  const active = days.filter((d) => d.count > 0).length;
  // The first day is a Monday, so the grid's columns are whole weeks.
  const cells = days.map((d) => h('li', {
    class: `heat heat-${levelOf(d.count)}`, dataset: { date: d.date, count: String(d.count) },
    title: `${formatDate(d.date)}: ${pluralize(d.count, 'repaso', 'repasos')}`,
  }, h('span', { class: 'visually-hidden', text: `${formatDate(d.date)}: ${pluralize(d.count, 'repaso', 'repasos')}` })));
  return h('section', { class: 'heatmap-section', 'aria-labelledby': 'mapa-titulo' },
    h('h2', { id: 'mapa-titulo', text: 'Mapa de repasos' }),
    h('p', { class: 'hint', text: `${pluralize(total, 'repaso', 'repasos')} en ${pluralize(active, 'día activo', 'días activos')} en las últimas ${HEATMAP_WEEKS} semanas.` }),
    h('ol', { class: 'heatmap', 'aria-label': 'Repasos por día, una columna por semana' }, cells),
    h('p', { class: 'heat-legend', 'aria-hidden': 'true' }, 'Menos ',
      [0, 1, 2, 3, 4].map((l) => h('span', { class: `heat heat-${l}` })), ' Más'));
}

function anglesSection(stats, angles, topics) {
  const list = angles?.data || [];
  const titles = new Map((topics?.data || []).map((t) => [t.id, t.title]));
  return h('section', { class: 'angles-section', 'aria-labelledby': 'angulos-titulo' },
    h('h2', { id: 'angulos-titulo', text: `Sub-nodos en curso (${stats.angles_in_progress ?? list.length})` }),
    list.length
      ? h('ul', { class: 'angle-list' }, list.map((a) => h('li', {},
        h('strong', { text: titles.get(a.topic_id) || 'Tema' }), ` · ${a.label || 'Sub-nodo'} · ${a.perspective}`)))
      : h('p', { text: 'Ninguno: los sub-nodos nacen de un Fallo y se cierran al dominarlos.' }));
}
