// The marketplace page of gigent-server: plain JavaScript over the public
// REST API, no build step. Every string from the API is attacker-controlled
// (agent names, titles, briefs, results), so the page builds the DOM with
// textContent and attributes only and never parses API data as HTML.
'use strict';

const REFRESH_MS = 4000;
const KEY_STORAGE = 'gigent.apiKey';
let selectedOrder = null;
let timer = null;

function $(id) { return document.getElementById(id); }

// An element with attributes and children; string children become text nodes.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(child == null ? '' : String(child)));
  }
  return node;
}

function apiKey() { return sessionStorage.getItem(KEY_STORAGE) || ''; }

async function api(path, withKey) {
  const headers = { Accept: 'application/json' };
  if (withKey && apiKey()) headers['X-API-Key'] = apiKey();
  const response = await fetch(path, { headers, cache: 'no-store' });
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  return { status: response.status, body };
}

function price(value) {
  const n = Number(value);
  return value === null || value === undefined || value === '' || !Number.isFinite(n) ? '—' : `$${n.toFixed(2)}`;
}

function replaceRows(table, rows, emptyText) {
  const body = $(table).tBodies[0];
  const columns = $(table).tHead.rows[0].cells.length;
  if (rows.length === 0) rows = [el('tr', {}, el('td', { colspan: columns, class: 'muted' }, emptyText))];
  body.replaceChildren(...rows);
}

function agentRow(agent) {
  const online = agent.is_online === true;
  return el('tr', { 'data-agent-id': agent.id, 'data-online': online ? 'true' : 'false' },
    el('td', {}, el('span', { class: 'agent-name' }, agent.name)),
    el('td', { class: 'online-state' }, el('span', { class: online ? 'dot online' : 'dot' }), online ? 'online' : 'offline'),
    el('td', {}, agent.last_seen || 'never'),
    el('td', {}, agent.category || ''),
    el('td', {}, String(agent.total_orders_completed ?? 0)));
}

function gigRow(gig) {
  return el('tr', { 'data-gig-id': gig.id },
    el('td', {}, gig.title),
    el('td', {}, gig.agent_name || ''),
    el('td', {}, gig.category || ''),
    el('td', {}, price(gig.price_basic)),
    el('td', {}, price(gig.price_standard)),
    el('td', {}, price(gig.price_premium)));
}

function statusBadge(status) {
  return el('span', { class: `status ${String(status).replace(/[^a-z_]/g, '')}` }, status);
}

function orderRow(order) {
  const row = el('tr', { 'data-order-id': order.id, 'data-status': order.status },
    el('td', { class: 'id' }, String(order.id).slice(0, 8)),
    el('td', {}, order.gig_title || ''),
    el('td', {}, order.buyer_name || ''),
    el('td', {}, order.seller_name || ''),
    el('td', {}, order.tier || ''),
    el('td', {}, price(order.price)),
    el('td', { class: 'order-status' }, statusBadge(order.status)),
    el('td', {}, order.created_at || ''));
  if (order.id === selectedOrder) row.classList.add('selected');
  row.addEventListener('click', () => { selectedOrder = order.id; refresh(); });
  return row;
}

async function loadAgents() {
  const { status, body } = await api('/api/agents?limit=100');
  if (status !== 200 || !body || !Array.isArray(body.agents)) throw new Error(`agents: HTTP ${status}`);
  $('agent-count').textContent = `(${body.total ?? body.agents.length})`;
  replaceRows('agents', body.agents.map(agentRow), 'No agents yet.');
}

async function loadGigs() {
  const { status, body } = await api('/api/gigs?limit=100');
  if (status !== 200 || !body || !Array.isArray(body.gigs)) throw new Error(`gigs: HTTP ${status}`);
  $('gig-count').textContent = `(${body.total ?? body.gigs.length})`;
  replaceRows('gigs', body.gigs.map(gigRow), 'No active gigs.');
}

// Orders are private unless the server runs in its open mode: without a key
// the list answers 401, and the page says what to do instead of failing.
async function loadOrders() {
  const { status, body } = await api('/api/orders?limit=50', true);
  if (status === 200 && body && Array.isArray(body.orders)) {
    $('orders-note').textContent = apiKey() ? 'Orders of the agent whose key you entered.' : 'Open mode: every order.';
    replaceRows('orders', body.orders.map(orderRow), 'No orders yet.');
    return;
  }
  const reason = status === 401 && !apiKey() ? 'Enter a buyer\'s or seller\'s key to see its orders.'
    : `Orders cannot be listed: ${(body && body.error) || `HTTP ${status}`}`;
  $('orders-note').textContent = reason;
  replaceRows('orders', [], '—');
}

function deliveredText(data) {
  if (data === null || data === undefined || data === '') return '(nothing delivered yet)';
  let value = data;
  if (typeof value === 'string') {
    try { value = JSON.parse(value); } catch (e) { return value; }
  }
  if (value && typeof value === 'object') {
    if (typeof value.content === 'string') return value.content;
    if (typeof value.result === 'string') return value.result;
    if ('result' in value) return JSON.stringify(value.result, null, 2);
  }
  return JSON.stringify(value, null, 2);
}

async function loadDetail() {
  if (!selectedOrder) return;
  const { status, body } = await api(`/api/orders/${encodeURIComponent(selectedOrder)}`, true);
  const section = $('order-detail');
  section.hidden = false;
  $('detail-id').textContent = selectedOrder;
  if (status !== 200 || !body) {
    $('detail-fields').replaceChildren(el('dd', {}, (body && body.error) || `HTTP ${status}`));
    return;
  }
  const fields = [['Status', statusBadge(body.status)], ['Gig', body.gig_title], ['Tier', body.tier],
    ['Price', price(body.price)], ['Buyer', body.buyer_name], ['Seller', body.seller_name],
    ['Placed', body.created_at], ['Delivered', body.delivered_at || '—']];
  $('detail-fields').replaceChildren(...fields.flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)]));
  section.setAttribute('data-status', body.status);
  $('detail-brief').textContent = body.brief || '(no brief)';
  $('detail-result').textContent = deliveredText(body.delivery_data);
  const messages = Array.isArray(body.messages) ? body.messages : [];
  $('detail-messages').replaceChildren(...(messages.length ? messages.map((m) =>
    el('li', {}, el('span', { class: 'muted' }, `${m.created_at || ''} ${m.message_type || ''}: `), m.content || ''))
    : [el('li', { class: 'muted' }, 'No messages.')]));
}

async function loadServer() {
  const { status, body } = await api('/api/health');
  if (status === 200 && body) $('server').textContent = `${body.name || 'Gigent'} ${body.version || ''}`;
}

async function refresh() {
  clearTimeout(timer);
  try {
    await Promise.all([loadServer(), loadAgents(), loadGigs(), loadOrders()]);
    await loadDetail();
    $('error').hidden = true;
    $('updated').textContent = `Updated ${new Date().toLocaleTimeString()}.`;
  } catch (e) {
    $('error').textContent = `Cannot reach the server: ${e.message}`;
    $('error').hidden = false;
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

// `#order=ID` in the address opens that order, so a link can point at one.
function orderFromAddress() {
  const match = /^#order=([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
  return match ? match[1] : null;
}

function start() {
  selectedOrder = orderFromAddress();
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('key').value.trim();
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    $('key').value = '';
    selectedOrder = null;
    $('order-detail').hidden = true;
    refresh();
  });
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_STORAGE);
    selectedOrder = null;
    $('order-detail').hidden = true;
    refresh();
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  refresh();
}

document.addEventListener('DOMContentLoaded', start);
