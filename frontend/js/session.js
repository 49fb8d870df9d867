// Who is signed in: the learner behind the token (cached until the token changes), and
// the sign-in link `make run` prints (the token in the address's fragment).
import { api, getToken, paths, setToken } from './api.js';

let cached = null; // { token, learner: Promise }

/** The learner of the current token, or null when the token is missing or refused. */
export function currentLearner({ refresh = false } = {}) {
  const token = getToken();
  if (!token) return Promise.resolve(null);
  if (refresh || !cached || cached.token !== token) {
    cached = { token, learner: api(paths.me).catch(() => null) };
  }
  return cached.learner;
}

/** The learner's time zone (the day boundaries of the scheduler), else the browser's. */
export async function learnerTimezone() {
  const learner = await currentLearner();
  return learner?.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * `make run` prints http://127.0.0.1:8080/#token=…: keep the token in this browser and take
 * it out of the address bar and of the history (replaceState, before anything reads the
 * address), then land on Estudiar. A fragment never reaches the server or its logs.
 * Returns whether the address carried a token.
 */
export function takeTokenFromLink() {
  const match = /^#token=([^&]+)$/.exec(window.location.hash);
  if (!match) return false;
  setToken(decodeURIComponent(match[1]));
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/estudiar`);
  return true;
}
