// shoal manage --ui: draws the view that /events pushes. Every value from the cluster is set as text or as an
// attribute value, never parsed as markup. No dependencies, no build step.
'use strict';

/** An element with attributes (set as values) and children (strings become text nodes). */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined) e.setAttribute(k, String(v));
  for (const c of children) if (c !== undefined && c !== null) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function bar(used, total) {
  const fill = el('span');
  fill.style.width = `${total > 0 ? Math.min(100, (100 * used) / total) : 0}%`;
  return el('div', { class: 'bar' }, fill);
}

function hue(s) {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

function labels(obj) {
  const box = el('div', { class: 'labels' });
  for (const [k, v] of Object.entries(obj || {})) box.append(el('span', { class: 'label', 'data-key': k }, v === '' ? k : `${k}=${v}`));
  return box;
}

function taskCard(t) {
  const card = el('div', { class: 'task', 'data-task-id': t.id, 'data-service': t.service, 'data-state': t.state },
    el('div', { class: 'name' }, t.slot ? `${t.service}.${t.slot}` : t.service),
    el('div', { class: 'state' }, t.state === t.desired ? t.state : `${t.state} → ${t.desired}`),
    t.error ? el('div', { class: 'state' }, t.error) : null);
  card.style.borderLeftColor = `hsl(${hue(t.service)}, 60%, 42%)`;
  card.title = t.message;
  return card;
}

function nodeColumn(n, stale) {
  const cls = ['column', 'node', n.state, stale ? 'stale' : ''].filter(Boolean).join(' ');
  const role = [n.role, n.availability].filter(Boolean).join(' · ');
  const col = el('div', { class: cls, 'data-node-id': n.id, 'data-state': n.state },
    el('h3', {}, n.name),
    el('div', { class: 'meta' }, `${n.addr} · ${n.state}${role ? ` · ${role}` : ''}`),
    n.error ? el('div', { class: 'meta error' }, n.error) : null,
    el('div', { class: 'meta' }, `CPU ${n.reservedCpus} / ${n.cpus} reserved`),
    bar(n.reservedCpus, n.cpus),
    el('div', { class: 'meta' }, `memory ${bytes(n.reservedMemory)} / ${bytes(n.memory)} reserved`),
    bar(n.reservedMemory, n.memory),
    labels(n.labels));
  for (const t of n.tasks) col.append(taskCard(t));
  return col;
}

function row(...cells) {
  return el('tr', {}, ...cells.map((c) => el('td', {}, c)));
}

let connected = false;

function banners(view) {
  const box = document.getElementById('banners');
  const items = [];
  if (!connected) items.push({ kind: 'manager', text: 'lost the connection to the manager; retrying (showing the last view)' });
  for (const a of (view && view.alerts) || []) items.push(a);
  box.replaceChildren(...items.map((a) => el('div', { class: `banner ${a.kind}`, 'data-kind': a.kind }, a.text)));
}

let last;

function render(view) {
  last = view;
  banners(view);
  const running = view.nodes.reduce((n, x) => n + x.tasks.filter((t) => t.state === 'running').length, 0);
  document.getElementById('summary').textContent =
    `${view.nodes.length} nodes · swarm ${view.swarm} · ${view.services.length} services · ${running} running tasks` +
    (view.stale ? ' · stale' : '');
  const cols = view.nodes.map((n) => nodeColumn(n, view.stale));
  if (view.unassigned.length) {
    const pending = el('div', { class: 'column unassigned' }, el('h3', {}, 'unassigned'),
      el('div', { class: 'meta' }, 'no node fits these tasks yet'));
    for (const t of view.unassigned) pending.append(taskCard(t));
    cols.push(pending);
  }
  document.getElementById('nodes').replaceChildren(...cols);
  document.querySelector('#services tbody').replaceChildren(...view.services.map((s) => {
    const r = row(s.name, s.mode, `${s.running}/${s.desired}`, s.image, s.ports.join(', '));
    r.dataset.service = s.name;
    return r;
  }));
  const routes = view.routes.map((r) => {
    const tr = row(`${r.name}:${r.port}${r.protocol === 'udp' ? '/udp' : ''}`, r.backends.join(', ') || '(none)');
    tr.dataset.route = r.id;
    return tr;
  });
  if (view.routesStore.state === 'none') routes.push(row('(start shoal manage with --ui-routes to show them)', ''));
  document.querySelector('#routes tbody').replaceChildren(...routes);
}

function connect() {
  const es = new EventSource('events');
  es.addEventListener('open', () => { connected = true; if (last) banners(last); });
  es.addEventListener('view', (e) => { connected = true; render(JSON.parse(e.data)); });
  es.addEventListener('error', () => { connected = false; banners(last); });
}

connect();
