/**
 * The dashboard's entry point (bundled by src/web/bundle.ts): the header with navigation and the API-key box,
 * and a hash router that mounts one page at a time and disposes of the previous one (its streams and timers).
 */
import { apiKey, setApiKey } from './api.ts';
import { doc, h, location, onWindow, type El } from './dom.ts';
import { createPage } from './pages/create.ts';
import { leaderboardPage } from './pages/leaderboard.ts';
import { networkPage } from './pages/network.ts';
import { taskPage } from './pages/task.ts';
import { tasksPage } from './pages/tasks.ts';
import { tournamentPage, tournamentsPage } from './pages/tournaments.ts';

type Page = (root: El, param: string) => () => void;

const ROUTES: { pattern: RegExp; page: Page; nav: string }[] = [
  { pattern: /^#?\/?(tasks)?$/, page: tasksPage, nav: 'tasks' },
  { pattern: /^#\/tasks\/([0-9a-fA-F-]{36})$/, page: taskPage, nav: 'tasks' },
  { pattern: /^#\/create$/, page: createPage, nav: 'create' },
  { pattern: /^#\/leaderboard$/, page: leaderboardPage, nav: 'leaderboard' },
  { pattern: /^#\/tournaments$/, page: tournamentsPage, nav: 'tournaments' },
  { pattern: /^#\/tournaments\/(.+)$/, page: tournamentPage, nav: 'tournaments' },
  { pattern: /^#\/network$/, page: networkPage, nav: 'network' },
];

const NAV = [
  ['tasks', '#/tasks', 'Tasks'],
  ['create', '#/create', 'New task'],
  ['leaderboard', '#/leaderboard', 'Leaderboard'],
  ['tournaments', '#/tournaments', 'Tournaments'],
  ['network', '#/network', 'Network'],
] as const;

function keyBox(): El {
  const field = h('input', { id: 'api-key', type: 'password', placeholder: 'API key', value: apiKey(), autocomplete: 'off', size: 28 });
  const state = h('span', { id: 'api-key-state', class: 'muted' }, apiKey() ? 'key saved' : 'no key');
  const save = () => {
    setApiKey(field.value);
    state.replaceChildren(apiKey() ? 'key saved' : 'no key');
    route();
  };
  return h(
    'form',
    { class: 'keybox', onsubmit: (e) => (e.preventDefault(), save()) },
    field,
    h('button', { type: 'submit', id: 'api-key-save' }, 'Use key'),
    state,
  );
}

let dispose: () => void = () => {};
let main: El;
let navLinks: Map<string, El>;

function route(): void {
  dispose();
  const hash = location().hash || '#/tasks';
  for (const r of ROUTES) {
    const m = r.pattern.exec(hash);
    if (!m) continue;
    for (const [name, link] of navLinks) link.className = name === r.nav ? 'active' : '';
    dispose = r.page(main, decodeURIComponent(m[1] ?? ''));
    return;
  }
  main.replaceChildren(h('p', null, 'No such page. ', h('a', { href: '#/tasks' }, 'Back to the tasks.')));
  dispose = () => {};
}

function start(): void {
  const d = doc();
  navLinks = new Map(NAV.map(([name, href, text]) => [name, h('a', { href }, text)]));
  main = h('main', { id: 'page' });
  d.body.replaceChildren(
    h('header', null, h('a', { href: '#/tasks', class: 'brand' }, 'G.O.D ', h('small', null, 'Gradients on Demand')), h('nav', null, [...navLinks.values()]), keyBox()),
    main,
  );
  onWindow('hashchange', route);
  route();
}

start();
