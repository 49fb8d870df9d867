// Spanish formatting of intervals, dates and card vocabulary.

export const GRADES = [
  { grade: 'fail', key: '1', label: 'Fallo' },
  { grade: 'hard', key: '2', label: 'Difícil' },
  { grade: 'good', key: '3', label: 'Bien' },
  { grade: 'easy', key: '4', label: 'Fácil' },
];

export const OPTION_LETTERS = 'ABCDE';

export const KIND_LABELS = {
  battlecard: 'BattleCard',
  drill_mcq: 'Drill de opción múltiple',
  drill_open: 'Drill de respuesta abierta',
};

export const STATUS_LABELS = {
  new: 'Nuevo',
  review: 'En repaso',
  mastered: 'Dominado',
  active: 'Activo',
  suspended: 'Suspendido',
};

const dateFormatter = new Intl.DateTimeFormat('es-ES', { day: 'numeric', month: 'short', year: 'numeric' });
const dateTimeFormatter = new Intl.DateTimeFormat('es-ES', {
  day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit',
});

/** "2026-11-24" (a calendar date) → "24 nov 2026"; parsed as a local date, not UTC. */
export function formatDate(isoDate) {
  if (!isoDate) return '—';
  const [y, m, d] = String(isoDate).slice(0, 10).split('-').map(Number);
  if (!y || !m || !d) return String(isoDate);
  return dateFormatter.format(new Date(y, m - 1, d));
}

export function formatDateTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dateTimeFormatter.format(date);
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone (the learner's, or the browser's). */
export function isoDateIn(instant, timeZone) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timeZone || undefined, year: 'numeric', month: '2-digit', day: '2-digit',
  }).formatToParts(instant);
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

export function formatPercent(ratio) {
  if (ratio === null || ratio === undefined) return '—';
  return `${Math.round(Number(ratio) * 100)} %`;
}

export function pluralize(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}
