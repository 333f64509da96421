// Boots the page: one Api, one Poller, a hash router over the views, the API-key bar.
import './style.css';
import { Api, ApiError } from './api.ts';
import { pollIntervalFrom } from './config.ts';
import { createTrackers, parseHash, type Ctx, type View } from './context.ts';
import { fill, h, link, setText } from './dom.ts';
import { Poller, RequestGate, type PollerState } from './poller.ts';
import { mountCompare } from './views/compare.ts';
import { mountJob } from './views/job.ts';
import { mountJobs } from './views/jobs.ts';
import { mountStudies } from './views/studies.ts';
import { mountStudy } from './views/study.ts';
import { mountSubmit } from './views/submit.ts';

const pollMs = pollIntervalFrom(location.search);

const liveDot = h('span', { class: 'live', 'data-testid': 'live' });
const keyButton = h('button', { type: 'button', class: 'button ghost', onclick: () => showKeyBar(null) }, 'API key');
const navLinks = {
  jobs: link('#/', 'Jobs'),
  compare: link('#/compare', 'Compare'),
  studies: link('#/studies', 'Studies'),
  new: link('#/new', 'New job'),
};
const keyInput = h('input', { type: 'password', name: 'apiKey', autocomplete: 'off', placeholder: 'API key', 'aria-label': 'API key' });
const keyMessage = h('span', { class: 'keybar-message' });
const keyForm = h(
  'form',
  { class: 'keybar', hidden: true, 'data-testid': 'keybar' },
  keyMessage,
  keyInput,
  h('button', { type: 'submit', class: 'button primary' }, 'Save key'),
  h('button', { type: 'button', class: 'button', onclick: () => saveKey(null) }, 'Forget key'),
);
const banner = h('div', { class: 'banner', role: 'status', hidden: true });
const main = h('main', { id: 'main' });

let unauthorized = false;
let networkDown = false;

const poller = new Poller(pollMs, {
  onState: renderLive,
  onError: (key, error) => {
    if (error instanceof ApiError && error.statusCode === 401) return; // the key bar says it
    if (error instanceof ApiError && error.statusCode === 0) return; // the live dot says it
    showBanner(`${error instanceof Error ? error.message : String(error)} (while polling ${key})`);
  },
  onSuccess: () => showBanner(null),
});

const api = new Api({
  gate: new RequestGate(pollMs),
  onUnauthorized: () => {
    unauthorized = true;
    poller.pause(); // nothing more until there is a key to try
    showKeyBar(api.hasKey ? 'The server rejected the saved API key. Enter another one.' : 'This server requires an API key.');
  },
  onReachable: (reachable) => {
    if (networkDown !== !reachable) {
      networkDown = !reachable;
      renderLive(poller.state);
    }
  },
});

const ctx: Ctx = {
  api,
  poller,
  pollMs,
  jobs: new Map(),
  selection: new Set(),
  tracker: createTrackers(),
  navigate: (hash) => {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
};

function showKeyBar(message: string | null): void {
  keyForm.hidden = false;
  setText(keyMessage, message ?? 'Key sent as Authorization: Bearer; kept in this browser.');
  keyInput.value = '';
  keyInput.focus();
}

function saveKey(key: string | null): void {
  api.setKey(key);
  keyForm.hidden = true;
  if (unauthorized) {
    unauthorized = false;
    poller.resume();
  }
}

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  saveKey(keyInput.value);
});

function showBanner(text: string | null): void {
  banner.hidden = text === null;
  setText(banner, text ?? '');
}

function renderLive(state: PollerState): void {
  const s = networkDown ? 'offline' : state;
  const labels: Record<string, string> = { live: `live · ${pollMs / 1000}s`, hidden: 'paused (tab hidden)', paused: 'paused', stopped: 'stopped', offline: 'API unreachable · retrying' };
  liveDot.dataset.state = s;
  setText(liveDot, labels[s] ?? s);
}

const ROUTES: Record<string, View> = { '': mountJobs, jobs: mountJobs, compare: mountCompare, new: mountSubmit, studies: mountStudies };

let unmount: (() => void) | null = null;

function route(): void {
  unmount?.();
  unmount = null;
  const r = parseHash(location.hash);
  const view = r.name === 'jobs' && r.id ? mountJob : r.name === 'studies' && r.id ? mountStudy : ROUTES[r.name];
  const active = r.name === 'compare' || r.name === 'new' || r.name === 'studies' ? r.name : 'jobs';
  for (const [name, a] of Object.entries(navLinks)) {
    if (name === active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const root = h('div', { class: `view view-${r.id ? (r.name === 'studies' ? 'study' : 'job') : r.name || 'jobs'}` });
  fill(main, root);
  window.scrollTo(0, 0);
  document.title = 'rnnlab';
  if (!view) {
    fill(root, h('section', { class: 'card empty-state' }, 'No such page. ', link('#/', 'Back to the jobs.')));
    return;
  }
  unmount = view(ctx, root, r);
}

document.body.append(
  h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: '#/' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'rnnlab'),
    h('nav', { class: 'nav' }, navLinks.jobs, navLinks.compare, navLinks.studies, navLinks.new),
    h('div', { class: 'topbar-end' }, liveDot, keyButton),
  ),
  keyForm,
  banner,
  main,
);

document.addEventListener('visibilitychange', () => poller.setHidden(document.hidden));
poller.setHidden(document.hidden);
window.addEventListener('hashchange', route);
route();
