// The gateway client: every request of the UI goes through `api()`, which adds the
// learner's token, turns the error envelope into an ApiError with a Spanish message,
// and (test-only) adds the X-Aimed-Now clock override.

const TOKEN_KEY = 'aimed.token';
/**
 * Test-only clock override: when localStorage['aimed.testNow'] holds an aware ISO
 * datetime (e.g. "2026-12-01T09:00:00+00:00"), every request carries it as the
 * X-Aimed-Now header. The gateway refuses it (403) unless it runs with
 * ALLOW_CLOCK_OVERRIDE; the UI shows a banner while it is set.
 */
export const CLOCK_KEY = 'aimed.testNow';
const BASE = '/api/v1';

export const paths = {
  me: '/me',
  model: '/model/status',
  next: '/study/next',
  reviews: '/study/reviews',
  undo: '/study/undo',
  topics: '/topics',
  topic: (id) => `/topics/${encodeURIComponent(id)}`,
  topicsImport: '/topics/import',
  contexts: (id) => `/topics/${encodeURIComponent(id)}/contexts`,
  angles: '/angles',
  stats: '/stats',
  settings: '/settings',
  exportAnki: '/export/anki',
  exportBackup: '/export/backup',
  importBackup: '/import/backup',
  importTemario: '/import/temario',
};

export class ApiError extends Error {
  constructor(status, type, message, detail) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
    this.detail = detail;
  }
}

export function getToken() {
  return window.localStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(token) {
  if (token) window.localStorage.setItem(TOKEN_KEY, token.trim());
  else window.localStorage.removeItem(TOKEN_KEY);
}

export function getClockOverride() {
  return window.localStorage.getItem(CLOCK_KEY) || '';
}

/** "Now" as the server sees it: the test clock when set, else the real clock. */
export function now() {
  const override = getClockOverride();
  const parsed = override ? new Date(override) : null;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : new Date();
}

const MESSAGES = {
  0: 'No se pudo contactar con el servidor. Comprueba que la aplicación está en marcha (make run).',
  401: 'Token ausente o no válido: introdúcelo en Ajustes.',
  403: 'Operación no permitida.',
  404: 'No encontrado (puede que se haya borrado).',
  409: 'El estado cambió mientras tanto (¿otra pestaña?). Se recarga.',
  413: 'El contenido es demasiado grande.',
  422: 'Datos no válidos.',
  429: 'Demasiadas peticiones; espera un momento.',
  502: 'El servidor no respondió correctamente.',
  503: 'Servicio no disponible en este momento.',
  504: 'El servidor tardó demasiado en responder.',
};

function spanishMessage(status, type, serverMessage) {
  if (type === 'model_unavailable' || type === 'generation_unavailable') {
    return 'El generador de tarjetas no está disponible: las tarjetas ya generadas siguen sirviendo.';
  }
  if (type === 'clock_override_disabled') {
    return 'El reloj de prueba está activo pero el servidor no lo permite: bórralo en Ajustes.';
  }
  const base = MESSAGES[status] || `Error ${status}.`;
  return serverMessage ? `${base} ${serverMessage}` : base;
}

/**
 * api(path, {method, json, body, contentType, accept}) → parsed JSON, text or Blob.
 * `as`: 'json' (default), 'blob' (downloads) or 'response'.
 */
export async function api(path, { method = 'GET', json, body, contentType, as = 'json', signal } = {}) {
  const headers = { Accept: as === 'json' ? 'application/json' : '*/*' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const clock = getClockOverride();
  if (clock) headers['X-Aimed-Now'] = clock;
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    headers['Content-Type'] = 'application/json';
  } else if (contentType) {
    headers['Content-Type'] = contentType;
  }
  let response;
  try {
    response = await fetch(BASE + path, { method, headers, body: payload, signal, cache: 'no-store' });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', MESSAGES[0], String(error));
  }
  if (!response.ok) {
    let envelope = null;
    try {
      envelope = await response.json();
    } catch {
      envelope = null;
    }
    const err = envelope && envelope.error ? envelope.error : {};
    const apiError = new ApiError(
      response.status,
      err.type || `http_${response.status}`,
      spanishMessage(response.status, err.type, err.message),
      err.detail,
    );
    if (response.status === 401) {
      window.dispatchEvent(new CustomEvent('aimed:unauthorized'));
    }
    throw apiError;
  }
  if (as === 'response') return response;
  if (as === 'blob') return response.blob();
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** A fresh idempotency key (one per answered card, reused if the same submit is retried). */
export function newIdempotencyKey() {
  // getRandomValues also works over plain http on a LAN address, unlike randomUUID.
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
