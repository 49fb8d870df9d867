// Who is signed in: the learner behind the token (cached until the token changes).
import { api, getToken, paths } from './api.js';

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
