// Entry point: a hash router over five views, the test-clock banner and the
// "sign in first" redirect. Each view module exports mount(container) → unmount().
import { getClockOverride, getToken } from './api.js';
import { clear, focusElement, h, toast } from './dom.js';
import { formatDateTime } from './format.js';
import { takeTokenFromLink } from './session.js';

const VIEWS = {
  estudiar: () => import('./views/study.js'),
  temas: () => import('./views/topics.js'),
  guias: () => import('./views/guidelines.js'),
  panel: () => import('./views/dashboard.js'),
  ajustes: () => import('./views/settings.js'),
};
const TITLES = { estudiar: 'Estudiar', temas: 'Temas', guias: 'Guías PDF', panel: 'Panel', ajustes: 'Ajustes' };

let unmountCurrent = null;
let firstRender = true;

function currentView() {
  const name = window.location.hash.replace(/^#\/?/, '').split('?')[0];
  if (name in VIEWS) return name;
  return getToken() ? 'estudiar' : 'ajustes';
}

export function renderClockBanner() {
  const banner = document.getElementById('clock-banner');
  const override = getClockOverride();
  banner.hidden = !override;
  banner.textContent = override ? `Reloj de prueba activo: ${formatDateTime(override)} (${override})` : '';
}

async function render() {
  const name = currentView();
  if (!getToken() && name !== 'ajustes') {
    window.location.hash = '#/ajustes';
    return;
  }
  // The address always names the view shown, so reload and bookmarks land on it.
  if (window.location.hash !== `#/${name}`) window.history.replaceState(null, '', `#/${name}`);
  if (unmountCurrent) {
    unmountCurrent();
    unmountCurrent = null;
  }
  for (const link of document.querySelectorAll('.nav-list a')) {
    if (link.dataset.view === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${TITLES[name]} · AI-Med Learning`;
  renderClockBanner();
  const main = document.getElementById('main');
  clear(main);
  const container = h('div', { class: `view view-${name}`, dataset: { view: name } });
  main.append(container);
  try {
    const module = await VIEWS[name]();
    unmountCurrent = (await module.mount(container)) || null;
  } catch (error) {
    container.append(h('p', { class: 'error', text: `No se pudo cargar la vista: ${error.message}` }));
  }
  // After a navigation, focus lands on the new view's heading so a screen reader
  // announces where the learner is; on the first load the page itself has focus.
  if (!firstRender) focusElement(container.querySelector('h1'));
  firstRender = false;
}

window.addEventListener('hashchange', () => {
  // In-page anchors (the skip link's #main) are not routes: leave the view alone.
  if (takeTokenFromLink() || window.location.hash.startsWith('#/')) render();
});
window.addEventListener('aimed:unauthorized', () => {
  if (currentView() !== 'ajustes') {
    toast('Tu token no es válido o falta: introdúcelo en Ajustes.', { kind: 'error' });
    window.location.hash = '#/ajustes';
  }
});
window.addEventListener('storage', renderClockBanner);
takeTokenFromLink();
render();
