// kefu console: a small single-page app over the API. Every piece of text
// that comes from the server (transcripts, names, rules) is put into the page
// as text nodes, never as HTML, so nothing a customer or agent typed can run.
'use strict';

const $main = () => document.getElementById('main');
let me = null;

// ——— DOM helpers ———
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const svg = (tag, attrs, ...children) => {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
};
function toast(msg) {
  const t = document.getElementById('toast');
  t.textContent = msg;
  t.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove('show'), 2600);
}
function scoreEl(score) {
  return h('span', { class: 'score ' + (score < 60 ? 'bad' : score < 80 ? 'warn' : '') }, score);
}
const ROLE = { agent: '坐席', supervisor: '班长/质检', admin: '管理员' };
const RESULT = { pass: '通过', fail: '不通过', 'n/a': '不适用' };
const STATUS = { pending: '待处理', upheld: '维持原判', overturned: '已改判' };
const PROCEDURE = { silent_call: '无声电话', silent_call_04: '无声电话（热线）', hold: '等待' };
const EVENT = { created: '创建', edited: '修改内容', reassigned: '转交', forwarded: '转交主管', progress: '进展', replied: '回复客户', sent: '发送日报', closed: '关闭' };

// ——— names for ids ———
// The console says what people call things: checks, categories, scenarios,
// procedures and agents by name, loaded once after log-in (and again after
// the rulebook or the accounts change). Ids stay in titles and the API.
let names = null;
async function loadNames(force) {
  if (names && !force) return names;
  const [book, dir, qa] = await Promise.all([api('GET', '/api/v1/rulebook'), api('GET', '/api/v1/people').catch(() => ({ people: [], teams: [] })),
    api('GET', '/api/v1/settings/qa').catch(() => ({ pass_mark: 80, appeal_window_days: 7 }))]);
  names = {
    book,
    qa,
    checks: book.check_list,
    check: Object.fromEntries(book.check_list.map((c) => [c.id, c])),
    category: Object.fromEntries(book.categories.map((c) => [c.id, c.name])),
    scenario: Object.fromEntries((book.scenario_list || []).map((x) => [x.id, x.name])),
    procedure: Object.fromEntries(book.procedure_list.map((x) => [x.id, x.name])),
    people: dir.people,
    teams: dir.teams,
    agent: Object.fromEntries(dir.people.filter((p) => p.agent_id).map((p) => [p.agent_id, p.display_name])),
    user: Object.fromEntries(dir.people.map((p) => [p.username, p.display_name])),
    byId: Object.fromEntries(dir.people.map((p) => [p.id, p.display_name])),
  };
  return names;
}
const checkName = (id) => (names && names.check[id] ? names.check[id].name : id);
const categoryName = (id) => (names && names.category[id]) || id;
const scenarioName = (id) => (names && names.scenario[id]) || id;
const procedureName = (id) => (names && names.procedure[id]) || PROCEDURE[id] || id;
const agentName = (id) => (names && names.agent[id]) || id || '—';
const userName = (username) => (names && names.user[username]) || username;
// A rule of the rulebook by what it forbids: its category's name (its id in the title).
const ruleLabel = (rule, category) => (names && names.check[rule] ? names.check[rule].name : categoryName(category || (rule || '').split('.')[0]));
// A rulebook file by what it holds (its path in the title).
function fileLabel(path) {
  const [dir, file] = path.includes('/') ? path.split('/') : ['', path];
  const base = (file || '').replace(/\.toml$/, '');
  if (dir === 'forbidden') return `忌语 · ${categoryName(base)}`;
  const PHRASES = { closing: '结束语', complaints: '投诉处理', consulting: '咨询答复', daily: '日常用语', difficult_calls: '疑难电话', line_quality: '线路质量', opening: '开场白', replies: '场景回复', secretary_1258: '1258 秘书台', suggestions: '建议处理', waiting: '等待与保持' };
  if (dir === 'phrases') return `标准用语 · ${PHRASES[base] || '其他'}`;
  if (dir === 'inspection') return base === 'cues' ? '质检项 · 识别线索' : '质检项';
  if (dir === 'calendar') return `节假日 · ${base} 年`;
  if (dir === 'model') return '语义模型';
  return { 'scenarios': '场景', 'procedures': '流程', 'numbers': '数字与单位读法', 'rulebook': '规则库信息' }[base] || '规则文件';
}

// A source as its reader knows it: the standard's title, not its file name.
const STANDARDS = { '01-online-service-manual.md': '《在线客服管理手册》', '02-daily-conduct.md': '《客服中心客服部日常工作行为规范》', '03-after-sales-phrases.md': '《售后培训标准用语》',
  '04-hotline-conduct.md': '《客户服务热线行为规范》', '05-response-standards.md': '《客户服务应答标准文本及案例集》' };
const sourceLabel = (text) => String(text || '').replace(/\b0\d-[a-z-]+\.md\b/g, (f) => STANDARDS[f] || f);

// ——— times ———
// 2026-11-22T11:48:00+08:00 → 11月22日 11:48 (in Beijing time; the year too
// when it is not this year). Never the ISO text.
const BEIJING = { timeZone: 'Asia/Shanghai' };
const thisYear = () => new Date().toLocaleString('en-US', { ...BEIJING, year: 'numeric' });
function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const part = (o) => d.toLocaleString('en-US', { ...BEIJING, ...o });
  const year = part({ year: 'numeric' });
  const hm = d.toLocaleTimeString('en-GB', { ...BEIJING, hour: '2-digit', minute: '2-digit', hour12: false });
  return `${year !== thisYear() ? year + '年' : ''}${part({ month: 'numeric' })}月${part({ day: 'numeric' })}日 ${hm}`;
}
// 2026-12-01 → 12月1日 周二
function fmtDay(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  if (!m) return day || '';
  const week = '日一二三四五六'[new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDay()];
  return `${Number(m[2])}月${Number(m[3])}日 周${week}`;
}
// Seconds from the start of a call → 01:05 (1:02:05 past an hour).
function fmtSeconds(sec) {
  const t = Math.max(0, Math.round(Number(sec) || 0));
  const two = (n) => String(n).padStart(2, '0');
  const hours = Math.floor(t / 3600);
  return hours ? `${hours}:${two(Math.floor(t / 60) % 60)}:${two(t % 60)}` : `${two(Math.floor(t / 60))}:${two(t % 60)}`;
}

// ——— API ———
// One request: the response and its JSON (text when it is not JSON); a 401
// leads to the log-in, any other failure is thrown with the server's message.
async function request(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) { opts.headers['content-type'] = 'application/json'; opts.body = JSON.stringify(body); }
  const r = await fetch(path, opts);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (r.status === 401 && path !== '/api/v1/auth/login') { me = null; route('#/login'); throw new Error('请先登录'); }
  if (!r.ok) {
    const e = (data && data.error) || {};
    const err = new Error(e.message || `请求失败（${r.status}）`);
    // The fields at fault, for the form to mark (`fields.address`, `password`…).
    err.fields = e.fields && e.fields.length ? e.fields : e.field ? [e.field] : [];
    err.status = r.status;
    throw err;
  }
  return { r, data };
}

// ——— forms ———
// A form's errors: every field at fault marked (red, aria-invalid) and the
// message said beside the form, not only in a passing toast. `el(name)` is
// the input of a field the server names.
function formErrors(box) {
  const marked = new Set();
  return {
    clear() { for (const el of marked) { el.classList.remove('invalid'); el.removeAttribute('aria-invalid'); } marked.clear(); box.textContent = ''; },
    mark(el) { if (!el) return; el.classList.add('invalid'); el.setAttribute('aria-invalid', 'true'); marked.add(el); el.addEventListener('input', () => { el.classList.remove('invalid'); el.removeAttribute('aria-invalid'); }, { once: true }); },
    // Required fields left empty, all at once: [[label, element], …]; true when none.
    required(list) {
      const empty = list.filter(([, el]) => !String(el.value || '').trim());
      for (const [, el] of empty) this.mark(el);
      if (empty.length) box.textContent = `还有 ${empty.length} 项必填：${empty.map(([label]) => label).join('、')}`;
      return !empty.length;
    },
    server(err, el) { box.textContent = err.message; for (const f of err.fields || []) this.mark(el(f)); },
  };
}
const errorBox = (id) => h('p', { class: 'check-fail form-error', id, role: 'alert' });
async function api(method, path, body) {
  return (await request(method, path, body)).data;
}

// A page of a list endpoint: its items and the whole list's size
// (X-Total-Count; the conversation search has it in its body).
async function apiPage(path) {
  const { r, data } = await request('GET', path);
  return { items: data, total: Number(r.headers.get('x-total-count') ?? data.length) };
}

// A 误报 button: marks a hit or an evidence item as a false alarm (feedback).
const falseAlarmButton = (mark) => h('button', { class: 'ghost small false-alarm', onclick: async (e) => {
  try { await api('POST', '/api/v1/feedback', { kind: 'false_alarm', ...mark }); e.target.disabled = true; toast('已记为误报，谢谢反馈'); } catch (x) { toast(x.message); }
} }, '误报');

// A 漏报 button: marks an utterance as a violation nothing found (feedback),
// with the category chosen from the rulebook's (by name) and a note.
const missedButton = (mark) => h('button', { class: 'ghost small missed', onclick: async (e) => {
  const button = e.target;
  if (button.nextElementSibling?.classList.contains('missed-form')) return;
  let list;
  try { list = (await loadNames()).book.categories; } catch (x) { toast(x.message); return; }
  const select = h('select', { name: 'category', 'aria-label': '漏报的忌语类别', onchange: () => select.classList.remove('invalid') }, h('option', { value: '' }, '选择类别…'), list.map((c) => h('option', { value: c.id }, c.name)));
  const note = h('input', { name: 'note', placeholder: '说明（可选）', maxlength: 200 });
  const form = h('form', { class: 'missed-form inline' }, select, note, h('button', { type: 'submit' }, '提交漏报'), h('button', { type: 'button', class: 'ghost', onclick: () => form.remove() }, '取消'));
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    if (!select.value) { select.classList.add('invalid'); toast('请选择漏报的忌语类别'); return; }
    try {
      await api('POST', '/api/v1/feedback', { kind: 'missed', category: select.value, note: note.value, ...mark() });
      form.remove(); button.disabled = true; toast('已记为漏报，谢谢反馈');
    } catch (x) { toast(x.message); }
  };
  button.after(form);
} }, '漏报');

// Paging: the rows shown out of how many, and the way to the others.
const PAGE = 50;
const hashQuery = () => new URLSearchParams(location.hash.split('?')[1] || '');
function pageOf(q = hashQuery()) { return Math.max(0, Number(q.get('offset')) || 0); }
function pager(id, total, offset, shown, go) {
  const range = total ? `第 ${offset + 1}–${offset + shown} 条 / 共 ${total} 条` : '共 0 条';
  return h('div', { class: 'row pager', id },
    h('span', { class: 'muted small range' }, range),
    h('button', { class: 'ghost small prev', disabled: offset <= 0, onclick: () => go(Math.max(0, offset - PAGE)) }, '上一页'),
    h('button', { class: 'ghost small next', disabled: offset + shown >= total, onclick: () => go(offset + PAGE) }, '下一页'));
}
function withOffset(hash, offset) {
  const [path, query] = hash.split('?');
  const q = new URLSearchParams(query || '');
  if (offset) q.set('offset', offset); else q.delete('offset');
  return `${path}${q.toString() ? '?' + q : ''}`;
}
const goTo = (offset) => { location.hash = withOffset(location.hash || '#/', offset); };

// ——— routing ———
const views = {};
function route(hash) { if (location.hash !== hash) location.hash = hash; else render(); }
async function render() {
  const [path] = (location.hash || '#/').split('?');
  const [, name, arg] = path.split('/');
  if (!me && name !== 'login') {
    try { me = await api('GET', '/api/v1/me'); } catch { return; }
  }
  if (me) { try { await loadNames(); } catch { /* names fall back to ids */ } }
  drawBar(name);
  drawBanner();
  drawBell();
  const view = views[name] || views[me ? defaultView() : 'login'];
  const seq = ++renderSeq;
  if (assist && name !== 'workspace') { assist.close(); assist = window.kefuAssist = null; }
  $main().replaceChildren();
  const main = viewTarget(seq);
  try { await view(arg ? decodeURIComponent(arg) : undefined, main); } catch (e) { main.append(h('pre', { class: 'err' }, e.message)); }
}
// Each render draws into the page only while it is the latest: the answer
// to a page the user has already left (a slow search, say) is dropped, never
// stacked under the page they went to.
let renderSeq = 0;
function viewTarget(seq) {
  const live = () => seq === renderSeq;
  return {
    append: (...nodes) => { if (live()) $main().append(...nodes); },
    replaceChildren: (...nodes) => { if (live()) $main().replaceChildren(...nodes); },
    get live() { return live(); },
  };
}
function defaultView() { return me.role === 'agent' ? 'workspace' : 'scorecards'; }
function drawBar(current) {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  nav.replaceChildren();
  who.replaceChildren();
  if (!me) return;
  const links = [['workspace', '坐席工作台'], ['scorecards', '质检评分'], ['appeals', '申诉'], ['records', '服务台'], ['deadlines', '时限'], ['attendance', '考勤'], ['rulebook', '规则库']];
  if (me.role !== 'agent') links.splice(2, 0, ['upload', '导入会话']);
  if (me.role !== 'agent') links.push(['checks', '质检项']);
  if (me.role === 'admin') links.push(['users', '账号'], ['settings', '设置']);
  for (const [id, label] of links) nav.append(h('a', { href: `#/${id}`, class: current === id ? 'on' : '' }, label));
  who.append(h('a', { href: '#/notifications', id: 'bell', class: current === 'notifications' ? 'on' : '', title: '通知', 'aria-label': '通知' }, '通知', h('span', { id: 'bell-count', class: 'badge', hidden: true })),
    h('span', {}, `${me.display_name}（${ROLE[me.role]}${me.team ? ' · ' + me.team : ''}）`),
    h('a', { href: '#/password', id: 'change-password', class: current === 'password' ? 'on' : '' }, '修改密码'),
    h('button', { onclick: async () => { await api('POST', '/api/v1/auth/logout', {}); me = null; names = null; route('#/login'); } }, '退出'));
}
// The bell's count of unread notifications: on every page and each minute.
async function drawBell() {
  const badge = document.getElementById('bell-count');
  if (!badge || !me) return;
  try {
    const { unread } = await api('GET', '/api/v1/notifications/unread');
    badge.textContent = unread > 99 ? '99+' : String(unread);
    badge.hidden = !unread;
  } catch { badge.hidden = true; }
}
setInterval(drawBell, 60000);
// Admins are warned when a holiday schedule is missing: this year's, or
// from 1 November next year's (the server decides; deadlines meanwhile are 暂定).
async function drawBanner() {
  const banner = document.getElementById('banner');
  if (!me || me.role !== 'admin') { banner.replaceChildren(); return; }
  try {
    const years = await api('GET', '/api/v1/calendar/years');
    banner.replaceChildren(...(years.warning ? [h('span', { id: 'calendar-warning' }, years.warning), h('a', { href: '#/settings?section=holidays', id: 'calendar-import-link' }, '去导入节假日安排')] : []));
  } catch { banner.replaceChildren(); }
}
window.addEventListener('hashchange', render);
window.addEventListener('DOMContentLoaded', render);

// ——— log-in ———
views.login = async (_, main) => {
  const user = h('input', { id: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { id: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const err = h('p', { class: 'check-fail' });
  const form = h('form', { class: 'panel login', onsubmit: async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      me = await api('POST', '/api/v1/auth/login', { username: user.value, password: pass.value });
      names = null;
      route(`#/${defaultView()}`);
    } catch (x) { err.textContent = x.message; }
  } },
  h('h1', {}, '登录 kefu'), h('label', { for: 'username' }, '用户名'), user, h('label', { for: 'password' }, '密码'), pass,
  h('div', { class: 'row gap-top' }, h('button', { type: 'submit', id: 'login' }, '登录')), err);
  main.append(form);
  user.focus();
};

// ——— own password ———
views.password = async (_, main) => {
  const field = (id, label) => { const el = h('input', { id, type: 'password', autocomplete: id === 'pw-current' ? 'current-password' : 'new-password', required: true }); return [h('label', { for: id }, label), el]; };
  const [lc, current] = field('pw-current', '当前密码'), [ln, next] = field('pw-new', '新密码'), [lr, repeat] = field('pw-repeat', '再输入一次新密码');
  const err = h('p', { class: 'check-fail', id: 'password-error', role: 'alert' });
  const form = h('form', { class: 'panel login', onsubmit: async (e) => {
    e.preventDefault();
    err.textContent = '';
    if (next.value !== repeat.value) { err.textContent = '两次输入的新密码不一致'; return; }
    try {
      await api('PATCH', `/api/v1/users/${me.id}`, { password: next.value, current_password: current.value });
      toast('密码已修改；其他设备上的登录已全部退出');
      route(`#/${defaultView()}`);
    } catch (x) { err.textContent = x.message; }
  } },
  h('h1', {}, '修改密码'), lc, current, ln, next, lr, repeat,
  h('p', { class: 'muted small' }, '至少 10 个字符；不能是用户名，不能由同一个字符重复组成，也不能是常见密码。修改后其他设备上的登录会全部退出。'),
  h('div', { class: 'row gap-top' }, h('button', { type: 'submit', id: 'save-password' }, '修改')), err);
  main.append(form);
  current.focus();
};

// ——— agent workspace ———
// Live assist's connection: it says what state it is in, reconnects by
// itself with back-off (0.5 s doubling to 10 s) when the server goes away,
// and tells the workspace when it is back, so the draft is checked again.
// `window.kefuAssist` is the connection in use (its state; `drop()` closes
// it as a lost network would, for the browser test).
let assist = null;
function assistConnection(onMessage, onState) {
  let ws = null, closed = false, attempt = 0, timer = null;
  const pending = [];
  const conn = {
    state: 'connecting',
    attempt: 0,
    send(msg) {
      if (ws && ws.readyState === 1) { ws.send(JSON.stringify(msg)); return true; }
      return false;
    },
    // Sent now, or as soon as the connection is (back) up.
    queue(msg) { if (!conn.send(msg)) pending.push(msg); },
    close() { closed = true; clearTimeout(timer); if (ws) ws.close(); },
    drop() { if (ws) ws.close(); },
  };
  const set = (state) => { conn.state = state; conn.attempt = attempt; onState(state, attempt); };
  function open() {
    ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/assist`);
    set('connecting');
    ws.onopen = () => { attempt = 0; while (pending.length) ws.send(JSON.stringify(pending.shift())); set('open'); };
    ws.onmessage = (e) => { let m; try { m = JSON.parse(e.data); } catch { return; } onMessage(m); };
    ws.onclose = () => {
      if (closed) return;
      attempt += 1;
      set('closed');
      timer = setTimeout(open, Math.min(10000, 500 * 2 ** (attempt - 1)));
    };
  }
  open();
  return conn;
}

views.workspace = async (_, main) => {
  const chat = h('div', { class: 'chat', id: 'chat' });
  const mirror = h('div', { class: 'mirror', 'aria-hidden': 'true' });
  const draft = h('textarea', { id: 'draft', placeholder: '输入回复，忌语会被实时标出…', spellcheck: 'false' });
  const found = h('div', { id: 'violations' });
  const replyBox = h('div', { id: 'standard-reply' });
  const prompts = h('div', { id: 'prompts' });
  const steps = h('div', {});
  const customer = h('input', { id: 'customer', placeholder: '客户说的话（来自电话/在线渠道）', class: 'grow' });
  let seq = 0;
  let checked = 0; // the last draft the server answered for
  let lastViolations = [];
  const state = h('span', { id: 'assist-state', class: 'pill', role: 'status' }, '连接中…');

  function drawMirror(text, violations) {
    const chars = Array.from(text);
    mirror.replaceChildren();
    let at = 0;
    for (const v of [...violations].sort((a, b) => a.start - b.start)) {
      if (v.start < at) continue;
      mirror.append(chars.slice(at, v.start).join(''));
      mirror.append(h('mark', { title: v.message }, chars.slice(v.start, v.end).join('')));
      at = v.end;
    }
    mirror.append(chars.slice(at).join('') + '\n');
  }
  function drawViolations(violations) {
    found.replaceChildren();
    if (!violations.length) {
      found.append(h('p', { class: 'muted small' }, draft.value ? ['未发现服务忌语。', ' ', missedButton(() => ({ text: draft.value }))] : ''));
      return;
    }
    for (const v of violations) {
      found.append(h('div', { class: 'violation' },
        h('div', {}, h('b', {}, `“${v.matched}”`), ' ', h('span', { class: 'pill bad', title: v.rule }, categoryName(v.category)), ' ', v.message,
          v.confidence !== undefined ? h('span', { class: 'small muted semantic' }, `（语义判断，把握 ${Math.round(v.confidence * 100)}%）`) : null),
        h('div', { class: 'sugg' }, '建议：', v.suggestion, ' ',
          h('button', { class: 'ghost small apply-suggestion', onclick: () => applySuggestion(v) }, '替换为建议')),
        h('div', { class: 'small muted' }, '依据：', sourceLabel(v.source), ' ',
          falseAlarmButton({ text: draft.value, rule: v.rule, category: v.category }))));
    }
  }
  // One click puts the suggestion in place of the flagged words (offsets
  // are in characters); its blanks (××, ……) are asked for before sending.
  function applySuggestion(v) {
    const chars = Array.from(draft.value);
    if (chars.slice(v.start, v.end).join('') !== v.matched) { toast('草稿已改动，请重新检查后再替换'); return; }
    draft.value = chars.slice(0, v.start).join('') + v.suggestion + chars.slice(v.end).join('');
    onInput();
    draft.focus();
  }
  if (assist) assist.close();
  const ws = assist = window.kefuAssist = assistConnection((m) => {
    if (m.type === 'lint') {
      if (m.id !== seq) return; // an older keystroke
      checked = m.id;
      lastViolations = m.violations;
      drawMirror(draft.value, m.violations);
      drawViolations(m.violations);
      draft.dataset.violations = String(m.violations.length);
    } else if (m.type === 'scenario') {
      const use = (text) => { draft.value = text; onInput(); draft.focus(); };
      // Unsure: the likely scenarios, each with its reply, for the agent to choose.
      const choices = (m.alternatives || []).filter((a) => a.reply);
      replyBox.replaceChildren(h('div', { class: 'reply' },
        h('div', { class: 'small muted', title: m.scenario }, `识别场景：${scenarioName(m.scenario)}（把握 ${Math.round(m.confidence * 100)}%）`),
        h('div', { id: 'reply-text' }, m.reply || '（该场景没有标准回复）'),
        m.reply ? h('button', { class: 'ghost', id: 'use-reply', onclick: () => use(m.reply) }, '使用标准回复') : null,
        choices.length ? h('div', { id: 'choose-scenario', class: 'gap-top' }, h('div', { class: 'small muted' }, '没有把握：请确认客户的意思，选一个标准回复'),
          choices.map((a) => h('button', { class: 'ghost small choice', 'data-scenario': a.scenario, title: a.reply, onclick: () => use(a.reply) }, `${scenarioName(a.scenario)}（${Math.round(a.confidence * 100)}%）`))) : null));
    } else if (m.type === 'prompt') {
      if (m.procedure === 'silent_call') silentRunning(!m.done);
      if (m.procedure === 'hold' && m.reason === 'hold_started') holdTimer.start(m.limit_seconds || 120);
      if (m.procedure === 'hold' && m.reason === 'hold_ended') holdTimer.stop();
      const action = { wait: '等待', hangup: '挂机' }[m.action] || m.action;
      prompts.prepend(h('div', { class: `prompt${m.done ? ' done' : ''}`, 'data-procedure': m.procedure, 'data-reason': m.reason || '', 'data-step': m.step ?? '' },
        h('div', { class: 'small muted' }, `${procedureName(m.procedure)}${m.step !== undefined ? ' · 第 ' + (m.number ?? m.step + 1) + ' 步' : ''}${action ? ' · ' + action : ''}${m.after_seconds ? ` · 间隔 ${m.after_seconds} 秒` : ''}`),
        m.text ? h('div', {}, m.text) : null, m.note ? h('div', { class: 'small muted' }, m.note) : null));
    } else if (m.type === 'procedure') {
      steps.replaceChildren(h('div', { class: 'row' }, h('h3', {}, m.name), h('button', { class: 'ghost small', id: 'end-procedure', onclick: () => steps.replaceChildren() }, '结束流程')), h('ol', { class: 'steps', id: 'procedure-steps' }, m.steps.map((s) =>
        h('li', {}, s.text || ({ wait: '等待', hangup: '挂机', record: '记录', callback: '回电', confirm: '确认', transfer: '转接', listen: '倾听' }[s.action] || s.action || ''),
          s.wait_seconds ? h('span', { class: 'muted small' }, `（${s.wait_seconds[0]}–${s.wait_seconds[1]} 秒）`) : null,
          s.note ? h('div', { class: 'muted small' }, s.note) : null))),
      h('div', { class: 'small muted' }, '出处：', sourceLabel(m.source)));
    } else if (m.type === 'error') toast(m.message);
  }, (now, attempt) => {
    state.textContent = { open: '实时检查已连接', connecting: attempt ? `正在重连…（第 ${attempt} 次）` : '连接中…', closed: '实时检查已断开，正在重连…' }[now];
    state.className = `pill ${now === 'open' ? 'good' : 'bad'}`;
    state.dataset.state = now;
    // Back: the draft as it stands now is checked again.
    if (now === 'open' && draft.value) onInput();
  });
  const sendWhenOpen = (conn, msg) => {
    if (conn.state === 'closed') toast('实时辅助已断开，正在重连；这条操作会在连上后发送');
    conn.queue(msg);
  };
  function onInput() {
    seq += 1;
    drawMirror(draft.value, lastViolations.filter((v) => v.end <= Array.from(draft.value).length));
    // While disconnected the draft is not sent, and the page says it is
    // unchecked; it is checked again on reconnecting.
    if (!ws.send({ type: 'draft', id: seq, text: draft.value }) && draft.value) {
      found.replaceChildren(h('p', { class: 'check-fail small', id: 'unchecked' }, '实时检查未连接：这条草稿还没有经过忌语检查，连上后会自动检查。'));
    }
  }
  draft.addEventListener('input', onInput);
  draft.addEventListener('scroll', () => { mirror.scrollTop = draft.scrollTop; });
  function say(who, text) {
    chat.append(h('div', { class: `bubble ${who}` }, h('span', { class: 'meta' }, who === 'agent' ? '我' : '客户'), text));
    chat.scrollTop = chat.scrollHeight;
  }
  const sendCustomer = () => {
    if (!customer.value.trim()) return;
    say('customer', customer.value);
    sendWhenOpen(ws, { type: 'customer', text: customer.value });
    customer.value = '';
  };
  customer.addEventListener('keydown', (e) => { if (e.key === 'Enter') sendCustomer(); });
  // A standard reply's blanks (××部门, ……, XX) must be filled in before it
  // goes out: each is asked for, in order, and sending waits.
  const BLANK = /×{2,}|X{2,}|…{2}/g;
  const blanks = h('div', { id: 'blanks' });
  function askForBlanks() {
    const found = draft.value.match(BLANK) || [];
    if (!found.length) { blanks.replaceChildren(); return false; }
    const inputs = found.map((b, i) => h('input', { class: 'blank', 'aria-label': `第 ${i + 1} 处空缺`, placeholder: `第 ${i + 1} 处（原文“${b}”）`, size: 14 }));
    const fill = h('button', { id: 'fill-blanks', onclick: () => {
      if (inputs.some((el) => !el.value.trim())) { inputs.filter((el) => !el.value.trim()).forEach((el) => el.classList.add('invalid')); return; }
      let k = 0;
      draft.value = draft.value.replace(BLANK, () => inputs[k++].value.trim());
      blanks.replaceChildren();
      onInput();
      draft.focus();
    } }, '填入');
    blanks.replaceChildren(h('div', { class: 'prompt' }, h('div', { class: 'small' }, `回复中还有 ${found.length} 处空缺，请补全后再发送：`), h('div', { class: 'row gap-top' }, inputs, fill)));
    inputs[0].focus();
    return true;
  }
  const sendDraft = () => {
    if (!draft.value.trim()) return;
    if (askForBlanks()) return;
    if (checked !== seq) {
      // Never sent unchecked without saying so.
      if (!confirm('这条回复还没有经过忌语检查（实时检查未连接或尚未返回结果），确定发送吗？')) return;
    } else if (lastViolations.length && !confirm('草稿中仍有服务忌语，确定发送吗？')) return;
    say('agent', draft.value);
    draft.value = '';
    onInput();
  };
  // The silent-call procedure: started by the agent, ended by the end button,
  // by the customer speaking, or when its last step is said.
  const silenceStart = h('button', { class: 'ghost', id: 'silence', onclick: () => { silentRunning(true); sendWhenOpen(ws, { type: 'silence', state: 'start' }); } }, '无声电话');
  const silenceEnd = h('button', { id: 'silence-end', hidden: true, onclick: () => sendWhenOpen(ws, { type: 'silence', state: 'end' }) }, '结束无声电话流程');
  function silentRunning(on) { silenceStart.hidden = on; silenceEnd.hidden = !on; }
  let holding = false;
  const holdBtn = h('button', { class: 'ghost', id: 'hold', onclick: () => {
    holding = !holding;
    sendWhenOpen(ws, { type: 'hold', state: holding ? 'start' : 'end' });
    holdBtn.textContent = holding ? '结束等待' : '开始等待（示忙）';
    if (holding) holdTimer.start(holdTimer.limit); else holdTimer.stop();
  } }, '开始等待（示忙）');
  // The running hold: 等待 mm:ss beside the button, red past the rulebook's limit.
  const holdClock = h('span', { id: 'hold-timer', class: 'pill', hidden: true, role: 'timer' });
  const holdTimer = {
    limit: 120, started: 0, tick: null,
    start(limit) {
      this.limit = limit;
      if (!this.tick) { this.started = Date.now(); this.tick = setInterval(() => this.draw(), 500); }
      holdClock.hidden = false;
      this.draw();
    },
    stop() { clearInterval(this.tick); this.tick = null; holdClock.hidden = true; },
    draw() {
      if (!holdClock.isConnected && this.tick) { this.stop(); return; }
      const sec = (Date.now() - this.started) / 1000;
      const over = sec > this.limit;
      holdClock.textContent = `等待 ${fmtSeconds(sec)}${over ? `（已超过 ${fmtSeconds(this.limit)}）` : ''}`;
      holdClock.className = `pill ${over ? 'bad' : 'warn'}`;
      holdClock.dataset.over = String(over);
    },
  };
  const procSelect = h('select', { id: 'procedure' });
  api('GET', '/api/v1/rulebook').then((book) => {
    for (const p of book.procedure_list) procSelect.append(h('option', { value: p.id }, p.name));
    procSelect.value = 'hold';
  }).catch((e) => toast(e.message));

  main.append(h('h1', {}, '坐席工作台'), h('div', { class: 'grid' },
    h('div', {},
      h('section', { class: 'panel' }, h('h2', {}, '对话'), chat,
        h('div', { class: 'row gap-top' }, customer, h('button', { class: 'ghost', onclick: sendCustomer }, '客户消息'))),
      h('section', { class: 'panel' }, h('h2', {}, '回复'), h('div', { class: 'composer' }, mirror, draft),
        blanks, h('div', { class: 'row gap-top' }, h('button', { id: 'send', onclick: sendDraft }, '发送'), state), found)),
    h('div', {},
      h('section', { class: 'panel' }, h('h2', {}, '标准回复'), replyBox, h('p', { class: 'muted small' }, '收到客户消息后，这里显示识别到的场景和标准回复。')),
      h('section', { class: 'panel' }, h('h2', {}, '流程'),
        h('div', { class: 'row' }, holdBtn, holdClock, silenceStart, silenceEnd),
        h('div', { class: 'row gap-top' }, procSelect, h('button', { class: 'ghost', onclick: () => sendWhenOpen(ws, { type: 'procedure', id: procSelect.value }) }, '查看步骤')),
        steps, prompts),
      h('section', { class: 'panel', id: 'my-scores' }, h('h2', {}, '我最近的质检得分'), h('p', { class: 'muted small' }, '加载中…')))));
  drawViolations([]);
  loadMyScores();
};
async function loadMyScores() {
  const box = document.getElementById('my-scores');
  if (!box) return;
  const r = await api('GET', '/api/v1/conversations?limit=8');
  box.replaceChildren(h('h2', {}, me.role === 'agent' ? '我最近的质检得分' : '最近的质检得分'));
  if (!r.items.length) { box.append(h('p', { class: 'muted small' }, '暂无评分。')); return; }
  box.append(h('table', {}, h('tbody', {}, r.items.map((c) => h('tr', { class: 'click', onclick: () => route(`#/conversation/${encodeURIComponent(c.id)}`) },
    h('td', {}, c.id), h('td', { class: 'small muted' }, fmtTime(c.started_at)), h('td', { class: 'num' }, scoreEl(c.score)))))));
}

// ——— QA: scorecards with filters and charts ———
views.scorecards = async (_, main) => {
  const q = hashQuery();
  const err = errorBox('filter-error');
  const errors = formErrors(err);
  const input = (id, label, attrs) => { const el = h('input', { id, name: id, value: q.get(id) || '', ...attrs }); return [el, h('div', {}, h('label', { for: id }, label), el)]; };
  // Pickers by name: agents of the caller's scope, checks of the rulebook.
  const agents = names.people.filter((p) => p.agent_id);
  const agentPick = h('select', { id: 'agent', name: 'agent' }, h('option', { value: '' }, '全部坐席'),
    agents.map((p) => h('option', { value: p.agent_id, selected: q.get('agent') === p.agent_id }, `${p.display_name}${p.team ? '（' + p.team + '）' : ''}`)),
    q.get('agent') && !names.agent[q.get('agent')] ? h('option', { value: q.get('agent'), selected: true }, q.get('agent')) : null);
  const checkPick = h('select', { id: 'check', name: 'check' }, h('option', { value: '' }, '不限'),
    names.checks.map((c) => h('option', { value: c.id, selected: q.get('check') === c.id }, c.name)));
  const [from, fromBox] = input('from', '起始日', { type: 'date' });
  const [to, toBox] = input('to', '截止日', { type: 'date' });
  const [minScore, minBox] = input('min_score', '最低分', { type: 'number', min: 0, max: 100, class: 'narrow' });
  const [maxScore, maxBox] = input('max_score', '最高分', { type: 'number', min: 0, max: 100, class: 'narrow' });
  const fields = { agent: agentPick, check: checkPick, from, to, min_score: minScore, max_score: maxScore };
  const filterHash = (changes) => {
    const p = new URLSearchParams();
    for (const [k, el] of Object.entries(fields)) if (el.value) p.set(k, el.value);
    if (q.get('sort')) p.set('sort', q.get('sort'));
    for (const [k, v] of Object.entries(changes || {})) { if (v) p.set(k, v); else p.delete(k); }
    return `#/scorecards?${p}`;
  };
  const form = h('form', { class: 'filters', onsubmit: (e) => {
    e.preventDefault();
    errors.clear();
    // Ranges checked here first, with both ends marked.
    if (from.value && to.value && from.value > to.value) { errors.mark(from); errors.mark(to); err.textContent = '起始日晚于截止日，请调整日期范围'; return; }
    if (minScore.value !== '' && maxScore.value !== '' && Number(minScore.value) > Number(maxScore.value)) { errors.mark(minScore); errors.mark(maxScore); err.textContent = '最低分高于最高分，请调整分数范围'; return; }
    // A new filter starts at the first page.
    location.hash = filterHash();
  } },
  h('div', {}, h('label', { for: 'agent' }, '坐席'), agentPick), fromBox, toBox,
  h('div', {}, h('label', { for: 'check' }, '不通过的检查项'), checkPick), minBox, maxBox,
  h('button', { type: 'submit' }, '筛选'), q.toString() ? h('a', { href: '#/scorecards', class: 'small' }, '清除筛选') : null);
  const params = new URLSearchParams();
  for (const k of ['agent', 'from', 'to', 'check', 'min_score', 'max_score']) if (q.get(k)) params.set(k, q.get(k));
  const offset = pageOf(q);
  const sort = q.get('sort') || 'newest';
  let list, report;
  try {
    [list, report] = await Promise.all([api('GET', `/api/v1/conversations?limit=${PAGE}&offset=${offset}&sort=${encodeURIComponent(sort)}&${params}`), api('GET', `/api/v1/reports/summary?${params}`)]);
  } catch (x) {
    main.append(h('h1', {}, '质检评分'), h('section', { class: 'panel' }, form, err));
    errors.server(x, (f) => fields[f]);
    return;
  }
  if (!list.total && !params.toString()) { main.append(h('h1', {}, '质检评分'), emptyState()); return; }
  // Column headers that sort: the server orders the whole list, not the page.
  const SORTS = { '开始时间': ['newest', 'oldest'], '得分': ['score', '-score'], '坐席': ['agent', 'agent'] };
  const th = (label) => {
    const ways = SORTS[label];
    if (!ways) return h('th', {}, label);
    const on = ways.includes(sort);
    const next = on && sort === ways[0] && ways[1] !== ways[0] ? ways[1] : ways[0];
    const arrow = on ? ({ newest: ' ↓', oldest: ' ↑', score: ' ↑', '-score': ' ↓', agent: ' ↑' })[sort] : '';
    return h('th', { class: 'sortable' + (on ? ' on' : ''), 'data-sort': next, 'aria-sort': on ? (arrow.includes('↑') ? 'ascending' : 'descending') : 'none' },
      h('a', { href: filterHash({ sort: next === 'newest' ? '' : next }) }, label + arrow));
  };
  const table = h('table', { id: 'scorecards' }, h('thead', {}, h('tr', {}, ['会话', '坐席', '班组', '渠道', '开始时间', '得分', '不通过项'].map(th))),
    h('tbody', {}, list.items.map((c) => h('tr', { class: 'click', 'data-id': c.id, onclick: () => route(`#/conversation/${encodeURIComponent(c.id)}`) },
      h('td', {}, c.id), h('td', { title: c.agent }, agentName(c.agent)), h('td', {}, c.team), h('td', {}, c.channel === 'phone' ? '电话' : '在线'),
      h('td', { class: 'small' }, fmtTime(c.started_at)),
      h('td', { class: 'num' }, scoreEl(c.score), c.score !== c.original_score ? h('span', { class: 'small muted' }, ` 原 ${c.original_score}`) : null),
      h('td', { class: 'small' }, c.failed.map(checkName).join('、'))))));
  // A bar of a chart filters the list by what it stands for.
  const byCheck = report.by_check.filter((c) => c.failed > 0).slice(0, 10).map((c) => ({ label: checkName(c.check), value: c.failed, href: filterHash({ check: c.check }), key: c.check }));
  const byAgent = report.by_agent.slice(0, 12).map((a) => ({ label: agentName(a.agent), value: Math.round(a.mean_score * 10) / 10, href: filterHash({ agent: a.agent }), key: a.agent }));
  main.append(h('h1', {}, '质检评分'), h('section', { class: 'panel' }, form, err),
    h('div', { class: 'grid3' },
      h('section', { class: 'panel' }, h('h2', {}, '最常不通过的检查项'), barChart(byCheck, '#dc2626'), h('p', { class: 'muted small' }, '点击条形按该项筛选')),
      h('section', { class: 'panel' }, h('h2', {}, report.by_agent.length > 12 ? `坐席平均分（最低 12 名 / 共 ${report.by_agent.length} 名）` : '坐席平均分'), barChart(byAgent, '#2563eb', 100)),
      h('section', { class: 'panel' }, h('h2', {}, '忌语类别（按日）'), categoryChart(report.by_category_day))),
    h('section', { class: 'panel' }, h('h2', {}, `评分卡（共 ${list.total} 个，平均分 ${report.mean_score === null ? '—' : report.mean_score.toFixed(1)}）`),
      h('div', { class: 'row' }, h('span', { id: 'pass-rate' }, `合格率 ${report.conversations ? (report.passed * 100 / report.conversations).toFixed(1) + '%' : '—'}`,
        h('span', { class: 'muted small' }, `（${report.pass_mark} 分及以上为合格，${report.passed} / ${report.conversations}）`)),
        h('a', { href: `/api/v1/conversations/export.xlsx?${params}${sort !== 'newest' ? '&sort=' + sort : ''}`, download: 'scorecards.xlsx', id: 'export-scorecards', class: 'small' }, '导出 Excel（当前筛选）')),
      list.items.length ? [table, pager('scorecards-pager', list.total, offset, list.items.length, goTo)] : h('p', { class: 'muted' }, '没有符合条件的会话。')));
};

// First log-in, nothing stored yet: how data gets in.
function emptyState() {
  const canUpload = me.role !== 'agent';
  return h('section', { class: 'panel empty-state', id: 'empty-state' }, h('h2', {}, '还没有会话数据'),
    h('p', {}, '质检评分来自存进 kefu 的通话和在线会话。可以用下面任一方式把会话接进来：'),
    h('ol', {},
      h('li', {}, h('b', {}, '导入文件：'), canUpload ? h('a', { href: '#/upload', id: 'empty-upload' }, '在“导入会话”页上传') : '请班长或管理员在“导入会话”页上传',
        ' JSON、JSON Lines 或 Excel（每行一轮对话）文件。'),
      h('li', {}, h('b', {}, 'Chatwoot：'), '在 Chatwoot 的“集成 → Webhook”中添加 kefu 的地址（/api/v1/integrations/chatwoot），会话结束时自动质检。'),
      h('li', {}, h('b', {}, '系统对接：'), '呼叫中心或工单系统用 API 令牌把会话推送到 /api/v1/webhooks/transcript（管理员在“账号”页创建令牌）。')),
    h('p', {}, '示例文件：', h('a', { href: '/console/sample.jsonl', download: 'kefu-sample.jsonl', id: 'sample-jsonl' }, '三个会话（JSON Lines）'), ' · ',
      h('a', { href: '/console/sample.xlsx', download: 'kefu-sample.xlsx', id: 'sample-xlsx' }, '同样的会话（Excel）')));
}

// ——— data in: upload transcripts ———
// JSON Lines go up in chunks (so a file of any size stays under the body and
// batch limits) and every line's error keeps the file's line number; a JSON
// file (one conversation or an array) and an Excel workbook go up whole.
const UPLOAD_CHUNK = 200;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const SHEET_COLUMNS = [['会话编号', '必填；同一会话的各行相同，或只在第一行写'], ['渠道', '必填：电话 或 在线'], ['开始时间', '如 2026-11-22 11:48:00（北京时间）'], ['坐席编号', '转写中的坐席 ID'], ['工号', ''], ['坐席姓名', ''], ['响铃次数', '电话'],
  ['说话人', '必填：坐席 或 客户'], ['开始秒', '必填：这一轮从通话开始后第几秒'], ['结束秒', ''], ['内容', '必填：这一轮说的话']];
async function uploadTranscripts(file, replace, progress) {
  const post = async (body, type, firstLine) => {
    const q = new URLSearchParams();
    if (replace) q.set('replace', 'true');
    if (firstLine) q.set('first_line', firstLine);
    const r = await fetch(`/api/v1/conversations${q.toString() ? '?' + q : ''}`, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': type }, body });
    const data = await r.json().catch(() => null);
    if (r.status === 401) { me = null; route('#/login'); throw new Error('请先登录'); }
    if (!r.ok) { const e = new Error((data && data.error && data.error.message) || `上传失败（${r.status}）`); throw e; }
    return data;
  };
  const summary = { stored: 0, errors: [], total: 0 };
  const take = (data, label) => {
    const results = data.results || [data];
    for (const item of results) {
      summary.total += 1;
      if (item.conversation || item.id) summary.stored += 1;
      else summary.errors.push({ line: item.line ?? null, where: item.line !== undefined ? `第 ${item.line} ${label}` : `第 ${item.index + 1} 个会话`, message: item.error });
    }
  };
  if (/\.xlsx$/i.test(file.name)) {
    progress('正在导入 Excel…');
    take(await post(await file.arrayBuffer(), XLSX_TYPE), '行');
    return summary;
  }
  const text = (await file.text()).replace(/^\uFEFF/, '');
  const lines = text.split('\n');
  const first = lines.findIndex((l) => l.trim());
  let jsonLines = /\.(jsonl|ndjson)$/i.test(file.name);
  if (!jsonLines && first >= 0) {
    try { JSON.parse(text); } catch { jsonLines = lines.filter((l) => l.trim()).length > 1; }
  }
  if (!jsonLines) {
    progress('正在导入…');
    take(await post(text, 'application/json'), '行');
    return summary;
  }
  // Chunks of whole lines; a line's number in a chunk plus the chunk's start is its number in the file.
  let start = 0;
  while (start < lines.length) {
    let end = start, count = 0;
    while (end < lines.length && count < UPLOAD_CHUNK) { if (lines[end].trim()) count += 1; end += 1; }
    if (count) {
      let data;
      try { data = await post(lines.slice(start, end).join('\n'), 'application/x-ndjson', start + 1); } catch (x) {
        throw new Error(`第 ${start + 1}–${end} 行上传失败：${x.message}（此前的 ${summary.stored} 个会话已保存，可从第 ${start + 1} 行起重新上传）`);
      }
      take(data, '行');
    }
    progress(`正在导入：已处理 ${Math.min(end, lines.length)} / ${lines.length} 行`);
    start = end;
  }
  return summary;
}
views.upload = async (_, main) => {
  const file = h('input', { type: 'file', id: 'upload-file', accept: '.json,.jsonl,.ndjson,.xlsx' });
  const replace = h('input', { type: 'checkbox', id: 'upload-replace' });
  const status = h('p', { id: 'upload-progress', class: 'muted', role: 'status' });
  const result = h('div', { id: 'upload-result' });
  const err = errorBox('upload-error');
  const go = h('button', { id: 'upload-go', onclick: async () => {
    err.textContent = '';
    result.replaceChildren();
    if (!file.files.length) { file.classList.add('invalid'); err.textContent = '请先选择文件'; return; }
    file.classList.remove('invalid');
    go.disabled = true;
    try {
      const s = await uploadTranscripts(file.files[0], replace.checked, (text) => { status.textContent = text; });
      status.textContent = '';
      result.replaceChildren(h('p', { id: 'upload-summary', class: s.errors.length ? 'warn-text' : '' }, `共 ${s.total} 个会话：已保存并质检 ${s.stored} 个${s.errors.length ? `，${s.errors.length} 个有错误未保存` : ''}。`, ' ',
        s.stored ? h('a', { href: '#/scorecards', id: 'upload-to-scorecards' }, '查看质检评分 →') : null),
      s.errors.length ? h('table', { id: 'upload-errors' }, h('thead', {}, h('tr', {}, h('th', {}, '位置'), h('th', {}, '错误'))),
        h('tbody', {}, s.errors.slice(0, 500).map((e) => h('tr', { 'data-line': e.line ?? '' }, h('td', {}, e.where), h('td', { class: 't' }, e.message))))) : '',
      s.errors.length > 500 ? h('p', { class: 'muted small' }, `另有 ${s.errors.length - 500} 条错误未列出。`) : '');
    } catch (x) { status.textContent = ''; err.textContent = x.message; } finally { go.disabled = false; }
  } }, '上传并质检');
  main.append(h('h1', {}, '导入会话'),
    h('section', { class: 'panel' }, h('h2', {}, '上传文件'),
      h('div', { class: 'filters' }, h('div', {}, h('label', { for: 'upload-file' }, '文件（.json、.jsonl、.xlsx）'), file),
        h('div', {}, h('label', { for: 'upload-replace' }, '已有同编号会话时覆盖'), replace), go), err, status, result),
    h('section', { class: 'panel' }, h('h2', {}, '文件格式'),
      h('p', {}, h('b', {}, 'JSON Lines（.jsonl）：'), '每行一个会话（JSON 对象）；某一行有错只影响这一行，其余照常保存。', h('b', {}, 'JSON（.json）：'), '一个会话，或会话数组。'),
      h('p', {}, h('b', {}, 'Excel（.xlsx）：'), '第一个工作表，每行一轮对话，表头用下列列名（顺序不限；表头上方的标题行会被跳过）。挂机、保持等事件请用 JSON 格式。'),
      h('table', { id: 'sheet-columns' }, h('thead', {}, h('tr', {}, h('th', {}, '列名'), h('th', {}, '说明'))), h('tbody', {}, SHEET_COLUMNS.map(([c, d]) => h('tr', {}, h('td', {}, c), h('td', { class: 'small' }, d))))),
      h('p', {}, '示例：', h('a', { href: '/console/sample.jsonl', download: 'kefu-sample.jsonl', id: 'upload-sample-jsonl' }, '三个会话（JSON Lines）'), ' · ', h('a', { href: '/console/sample.xlsx', download: 'kefu-sample.xlsx' }, '同样的会话（Excel）'))));
};

function barChart(rows, color, max) {
  if (!rows.length) return h('p', { class: 'muted small' }, '暂无数据。');
  const top = max || Math.max(...rows.map((r) => r.value), 1);
  const row = 24, labelW = 150, width = 420;
  const s = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${rows.length * row + 6}`, role: 'img' });
  rows.forEach(({ label, value, href, key }, i) => {
    const y = 4 + i * row;
    const w = Math.max(2, (width - labelW - 50) * value / top);
    const bar = svg('g', { class: href ? 'bar click' : 'bar', 'data-key': key || '' },
      svg('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end' }, label.length > 22 ? label.slice(0, 21) + '…' : label),
      svg('rect', { x: labelW, y: y + 4, width: w, height: 14, rx: 3, fill: color }, svg('title', {}, `${label}：${value}`)),
      svg('text', { x: labelW + w + 5, y: y + 15 }, value));
    if (href) bar.addEventListener('click', () => { location.hash = href; });
    s.append(bar);
  });
  return s;
}

function categoryChart(days) {
  if (!days.length) return h('p', { class: 'muted small' }, '暂无忌语。');
  const dates = [...new Set(days.map((d) => d.day || '—'))].sort();
  const cats = [...new Set(days.map((d) => d.category))].sort();
  const palette = ['#dc2626', '#d97706', '#2563eb', '#7c3aed', '#059669', '#db2777', '#0891b2', '#65a30d', '#9333ea', '#475569'];
  const totals = dates.map((d) => days.filter((x) => (x.day || '—') === d).reduce((a, x) => a + x.violations, 0));
  const top = Math.max(...totals, 1);
  const width = 420, height = 180, left = 30, bottom = 36;
  const slot = (width - left) / dates.length;
  const s = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height + 20 + Math.ceil(cats.length / 4) * 14}`, role: 'img' });
  dates.forEach((d, i) => {
    let y = height - bottom;
    for (const [ci, c] of cats.entries()) {
      const n = days.filter((x) => (x.day || '—') === d && x.category === c).reduce((a, x) => a + x.violations, 0);
      if (!n) continue;
      const bh = (height - bottom - 10) * n / top;
      y -= bh;
      s.append(svg('rect', { x: left + i * slot + slot * 0.15, y, width: slot * 0.7, height: bh, fill: palette[ci % palette.length] }, svg('title', {}, `${d} ${categoryName(c)}：${n}`)));
    }
    s.append(svg('text', { x: left + i * slot + slot / 2, y: height - bottom + 14, 'text-anchor': 'middle' }, d === '—' ? d : `${Number(d.slice(5, 7))}/${Number(d.slice(8))}`));
  });
  cats.forEach((c, i) => {
    const x = left + (i % 4) * 100, y = height + (Math.floor(i / 4)) * 14;
    s.append(svg('rect', { x, y: y - 9, width: 10, height: 10, fill: palette[i % palette.length] }), svg('text', { x: x + 14, y }, categoryName(c)));
  });
  return s;
}

// ——— one conversation: transcript with evidence, appeals ———

views.conversation = async (id, main) => {
  const v = await api('GET', `/api/v1/conversations/${encodeURIComponent(id)}`);
  // The appeal window runs from the inspection (QA settings).
  const windowEnds = new Date(new Date(v.conversation.inspected_at).getTime() + names.qa.appeal_window_days * 86400e3);
  const windowOpen = Number.isNaN(windowEnds.getTime()) || Date.now() < windowEnds.getTime();
  const failed = v.scorecard.checks.filter((c) => c.result === 'fail');
  const marks = new Map();
  for (const c of failed) for (const e of c.evidence) {
    if (!marks.has(e.turn)) marks.set(e.turn, []);
    marks.get(e.turn).push({ ...e, check: c.id });
  }
  const transcript = h('ol', { class: 'transcript', id: 'transcript' }, withEvents(v.transcript, v.transcript.turns.map((t, i) => {
    const ms = (marks.get(i) || []).filter((m) => m.end > m.start).sort((a, b) => a.start - b.start);
    const chars = Array.from(t.text);
    const text = h('div', { class: 't' });
    let at = 0;
    for (const m of ms) {
      if (m.start < at) continue;
      text.append(chars.slice(at, m.start).join(''), h('mark', { title: `${checkName(m.check)}：${m.note}` }, chars.slice(m.start, m.end).join('')));
      at = m.end;
    }
    text.append(chars.slice(at).join(''));
    return h('li', { class: `${t.speaker}${marks.has(i) ? ' flagged' : ''}` }, h('span', { class: 'who' }, t.speaker === 'agent' ? '坐席' : '客户'),
      h('div', {}, h('div', { class: 'small muted' }, `第 ${i + 1} 轮 · ${fmtSeconds(t.start)}${t.end !== undefined && t.end !== null ? '–' + fmtSeconds(t.end) : ''}`), text,
        (marks.get(i) || []).map((m) => h('div', { class: 'small check-fail', title: m.check }, `${checkName(m.check)}：${m.note}`, ' ',
          falseAlarmButton({ text: t.text, rule: m.check, conversation_id: v.conversation.id, turn: i }))),
        t.speaker === 'agent' ? h('div', { class: 'small turn-actions' }, missedButton(() => ({ text: t.text, conversation_id: v.conversation.id, turn: i }))) : null));
  })));
  const checks = h('table', {}, h('thead', {}, h('tr', {}, ['检查项', '结果', '分值', ''].map((t) => h('th', {}, t)))),
    h('tbody', {}, v.scorecard.checks.filter((c) => c.result !== 'n/a').map((c) => {
      const open = v.appeals.find((a) => a.check_id === c.id && a.status === 'pending');
      const mine = (me.role === 'agent' || me.role === 'admin') && windowOpen;
      const info = names.check[c.id];
      return h('tr', { 'data-check': c.id }, h('td', { title: info ? `${sourceLabel(info.source)}（${c.id}）` : c.id }, info ? info.name : c.id, c.veto ? h('span', { class: 'pill bad' }, '一票否决') : null),
        h('td', { class: c.result === 'fail' ? 'check-fail' : '' }, RESULT[c.result], v.appeals.some((a) => a.check_id === c.id && a.status === 'overturned') ? h('span', { class: 'pill good' }, '申诉改判') : null), h('td', { class: 'num' }, c.points),
        h('td', {}, c.result === 'fail' && !open && mine ? h('button', { class: 'ghost appeal', 'data-check': c.id, onclick: () => appealForm(v, c.id) }, '申诉') : open ? h('span', { class: 'pill warn' }, '申诉中') : null));
    })));
  const windowNote = h('p', { class: 'small muted', id: 'appeal-window' }, windowOpen ? `质检后 ${names.qa.appeal_window_days} 天内可申诉（至 ${fmtTime(windowEnds.toISOString())}）` : `申诉期已过（质检后 ${names.qa.appeal_window_days} 天内可申诉）`);
  const appeals = h('div', { id: 'appeals' }, v.appeals.length ? v.appeals.map((a) => appealCard(a, () => views.conversation(id, main).then(() => {}))) : h('p', { class: 'muted small' }, '暂无申诉。'));
  // A record of this call: the form opens prefilled with what the customer said.
  const makeRecord = (kind) => () => {
    prefill = { kind, conversation_id: v.conversation.id, fields: { description: v.transcript.turns.filter((t) => t.speaker === 'customer').map((t) => t.text).join('\n') } };
    route('#/records');
  };
  main.replaceChildren(h('h1', {}, '会话 ', v.conversation.id, ' ', scoreEl(v.scorecard.score), v.scorecard.vetoed ? h('span', { class: 'pill bad' }, '一票否决') : null),
    // (replaceChildren would write a null out as the text "null")
    (v.scorecard.warnings || []).length ? h('p', { class: 'pill warn', id: 'card-warnings' }, v.scorecard.warnings.join('；')) : '',
    h('div', { class: 'row' }, h('button', { class: 'ghost', id: 'make-repair', onclick: makeRecord('repair') }, '生成报修记录'), h('button', { class: 'ghost', onclick: makeRecord('complaint') }, '生成投诉通知单')),
    h('p', { class: 'muted' }, `坐席 ${agentName(v.conversation.agent)} · ${v.conversation.team || '未分组'} · ${v.conversation.channel === 'phone' ? '电话' : '在线'} · ${fmtTime(v.conversation.started_at)}`),
    h('div', { class: 'grid' }, h('section', { class: 'panel' }, h('h2', {}, '对话记录（标黄为证据）'), transcript),
      h('div', {}, h('section', { class: 'panel' }, h('h2', {}, '检查项'), checks, windowNote), h('section', { class: 'panel', id: 'appeal-form' }),
        h('section', { class: 'panel' }, h('h2', {}, '申诉'), appeals))));
};
// The call's events in the transcript where they happened, as the HTML
// report shows them: rings before the first turn, holds and the hang-up by time.
function withEvents(transcript, items) {
  const events = (transcript.events || []).filter((e) => e.type === 'hold' || e.type === 'hangup')
    .map((e) => ({ at: e.type === 'hold' ? e.start : e.at, el: e.type === 'hold'
      ? h('li', { class: 'event', 'data-event': 'hold' }, h('span', { class: 'who' }, '保持'), h('div', {}, `${fmtSeconds(e.start)}–${fmtSeconds(e.end)}，等待 ${Math.round(e.end - e.start)} 秒`))
      : h('li', { class: 'event', 'data-event': 'hangup' }, h('span', { class: 'who' }, '挂机'), h('div', {}, `${e.by === 'agent' ? '坐席' : '客户'}在 ${fmtSeconds(e.at)} 挂断`)) }))
    .sort((a, b) => a.at - b.at);
  const out = [];
  if (transcript.rings !== undefined && transcript.rings !== null) out.push(h('li', { class: 'event', 'data-event': 'rings' }, h('span', { class: 'who' }, '振铃'), h('div', {}, `响铃 ${transcript.rings} 声后接起`)));
  transcript.turns.forEach((t, i) => {
    while (events.length && events[0].at <= t.start) out.push(events.shift().el);
    out.push(items[i]);
  });
  return [...out, ...events.map((e) => e.el)];
}
function appealForm(v, check) {
  const box = document.getElementById('appeal-form');
  const reason = h('textarea', { id: 'reason', rows: 3, class: 'wide', placeholder: '说明理由，例如：录音中已致歉' });
  const err = errorBox('appeal-error');
  const errors = formErrors(err);
  // A check already decided once: a second appeal needs new grounds.
  const before = v.appeals.filter((a) => a.check_id === check && a.status !== 'pending');
  const grounds = before.length ? h('input', { type: 'checkbox', id: 'new-grounds' }) : null;
  box.replaceChildren(h('h2', {}, `对“${checkName(check)}”提出申诉`),
    before.length ? h('p', { class: 'warn-text small', id: 'appealed-before' }, `这一项已申诉过 ${before.length} 次（${STATUS[before[0].status]}，理由：${before[0].reason}）。再次申诉须有新的理由或证据。`) : '',
    h('label', { for: 'reason' }, '申诉理由 *'), reason,
    grounds ? h('label', { for: 'new-grounds', class: 'inline' }, grounds, ' 我有新的理由或证据') : '',
    h('div', { class: 'row gap-top' }, h('button', { id: 'submit-appeal', onclick: async () => {
      errors.clear();
      if (!errors.required([['申诉理由', reason]])) return;
      if (grounds && !grounds.checked) { errors.mark(grounds); err.textContent = '再次申诉须勾选并写明新的理由或证据'; return; }
      try {
        await api('POST', `/api/v1/conversations/${encodeURIComponent(v.conversation.id)}/appeals`, { check, reason: reason.value, new_grounds: Boolean(grounds && grounds.checked) });
        toast('申诉已提交');
        views.conversation(v.conversation.id, viewTarget(renderSeq));
      } catch (e) { errors.server(e, (f) => (f === 'reason' ? reason : null)); }
    } }, '提交申诉')), err);
  reason.focus();
}
function appealCard(a, after) {
  const comment = h('input', { placeholder: '处理意见', class: 'grow', 'aria-label': '处理意见' });
  const decide = async (decision) => {
    try { await api('POST', `/api/v1/appeals/${a.id}/decision`, { decision, comment: comment.value }); toast(decision === 'overturned' ? '已改判，得分已更新' : '已维持原判'); after(); } catch (e) { toast(e.message); }
  };
  const decidedBy = a.decided_by ? (names && names.byId[a.decided_by]) || `账号 #${a.decided_by}` : null;
  return h('div', { class: 'panel tight appeal-card', 'data-status': a.status },
    h('div', {}, h('b', { title: a.check_id }, checkName(a.check_id)), ' ', h('span', { class: 'pill ' + (a.status === 'overturned' ? 'good' : a.status === 'upheld' ? 'bad' : 'warn') }, STATUS[a.status]),
      h('span', { class: 'small muted' }, ` ${a.filed_by_name} · ${fmtTime(a.created_at)} · `),
      h('a', { href: `#/conversation/${encodeURIComponent(a.conversation_id)}`, class: 'small' }, `会话 ${a.conversation_id}`)),
    h('div', {}, '理由：', a.reason), a.comment ? h('div', {}, '意见：', a.comment) : null,
    decidedBy ? h('div', { class: 'small muted' }, `${decidedBy} 于 ${fmtTime(a.decided_at)} 处理`) : null,
    a.status === 'pending' && me.role !== 'agent' ? h('div', { class: 'row gap-top' }, comment,
      h('button', { class: 'overturn', onclick: () => decide('overturned') }, '改判（计为通过）'), h('button', { class: 'ghost uphold', onclick: () => decide('upheld') }, '维持')) : null);
}
views.appeals = async (_, main) => {
  const offset = pageOf();
  const tab = hashQuery().get('tab') === 'decided' ? 'decided' : 'pending';
  const { items: list, total } = await apiPage(`/api/v1/appeals?status=${tab}&limit=${PAGE}&offset=${offset}`);
  const tabs = h('div', { class: 'tabs', role: 'tablist' }, [['pending', '待处理'], ['decided', '已处理']].map(([id, label]) =>
    h('a', { href: `#/appeals?tab=${id}`, role: 'tab', class: 'tab' + (id === tab ? ' on' : ''), 'aria-selected': String(id === tab), id: `tab-${id}` }, label)));
  main.append(h('h1', {}, '申诉'), tabs, h('section', { class: 'panel' }, list.length ? [...list.map((a) => appealCard(a, () => render())), pager('appeals-pager', total, offset, list.length, goTo)]
    : h('p', { class: 'muted' }, tab === 'pending' ? '没有待处理的申诉。' : '暂无已处理的申诉。')));
};

// ——— notifications ———
views.notifications = async (_, main) => {
  const offset = pageOf();
  const { items, total } = await apiPage(`/api/v1/notifications?limit=${PAGE}&offset=${offset}`);
  const KINDS = { warning: ['提醒', 'warn'], escalation: ['升级', 'bad'], appeal: ['申诉', ''], attendance: ['考勤', 'good'] };
  const open = (n) => async () => {
    if (!n.read) { try { await api('POST', '/api/v1/notifications/read', { ids: [n.id] }); } catch { /* the link still works */ } }
    if (n.link) location.hash = n.link; else render();
  };
  main.append(h('h1', {}, '通知'),
    h('section', { class: 'panel' }, h('div', { class: 'row' }, h('span', { class: 'muted' }, `共 ${total} 条`),
      h('button', { class: 'ghost small', id: 'read-all', onclick: async () => { await api('POST', '/api/v1/notifications/read', {}); toast('已全部标为已读'); render(); } }, '全部标为已读')),
      items.length ? h('ul', { class: 'notes', id: 'notification-list' }, items.map((n) => h('li', { class: n.read ? 'read' : 'unread', 'data-kind': n.kind },
        h('span', { class: `pill ${(KINDS[n.kind] || ['', ''])[1]}` }, (KINDS[n.kind] || ['通知'])[0]), ' ',
        h('a', { href: n.link || '#/notifications', onclick: (e) => { e.preventDefault(); open(n)(); } }, n.message),
        h('span', { class: 'small muted' }, ` ${fmtTime(n.at)}`), n.read ? null : h('span', { class: 'pill bad small' }, '未读'))))
        : h('p', { class: 'muted' }, '暂无通知。'),
      total > items.length ? pager('notifications-pager', total, offset, items.length, goTo) : null));
};

// ——— rulebook ———
views.rulebook = async (category, main) => {
  const book = await api('GET', `/api/v1/rulebook${category ? '?category=' + encodeURIComponent(category) : ''}`);
  const tryText = h('input', { id: 'try', placeholder: '输入一句话，用当前规则库试一试', class: 'grow' });
  const tryOut = h('div', { id: 'try-result' });
  const runTry = async () => {
    const r = await api('POST', '/api/v1/rulebook/try', { text: tryText.value });
    tryOut.replaceChildren(h('p', {}, r.violations.length ? `坐席说：命中 ${r.violations.length} 条忌语` : '坐席说：未命中忌语', ' · ', `客户说：${scenarioName(r.scenario)}（把握 ${Math.round(r.confidence * 100)}%）`),
      ...r.violations.map((v) => h('div', { class: 'violation', 'data-rule': v.rule }, h('b', {}, v.matched), ' ', h('span', { class: 'pill bad', title: v.rule }, categoryName(v.category)), ' ', v.message, h('div', { class: 'sugg' }, '建议：', v.suggestion))));
  };
  tryText.addEventListener('keydown', (e) => { if (e.key === 'Enter') runTry(); });
  const cats = h('div', { class: 'row' }, h('a', { href: '#/rulebook', class: 'pill' + (category ? '' : ' good') }, `全部（${book.rules.length}）`),
    book.categories.map((c) => h('a', { href: `#/rulebook/${c.id}`, class: 'pill' + (c.id === category ? ' good' : ''), title: c.id }, `${c.name}（${c.rules}）`)));
  const rules = h('table', { id: 'rules' }, h('thead', {}, h('tr', {}, ['序号', '类别', '说明与建议', '示例', '出处'].map((t) => h('th', {}, t)))),
    h('tbody', {}, book.rules.map((r, i) => h('tr', { 'data-rule': r.id }, h('td', { class: 'num', title: r.id }, i + 1), h('td', {}, r.category_name),
      h('td', {}, r.message, h('div', { class: 'small sugg' }, '建议：', r.suggestion)),
      h('td', { class: 'small' }, r.bad.slice(0, 3).map((b) => h('div', { class: 'check-fail' }, '✗ ', b)), r.good.slice(0, 2).map((g) => h('div', {}, '✓ ', g))),
      h('td', { class: 'small' }, sourceLabel(r.source), me.role === 'admin' ? h('div', {}, h('a', { href: `#/edit/${encodeURIComponent(r.file)}`, title: `${r.file} 第 ${r.line} 行` }, `编辑（${fileLabel(r.file)} 第 ${r.line} 行）`), ' ',
        h('button', { class: 'ghost small add-to-rule', onclick: (e) => additionForm(e.target, r, book.version) }, '添加说法或示例')) : null)))));
  main.append(h('h1', {}, `规则库 v${book.version}`), h('p', { class: 'muted' }, `${book.name} ${book.rulebook_version} · ${book.rules.length} 条忌语规则 · ${book.scenarios} 个场景 · ${book.phrases} 条标准用语 · ${book.procedures} 个流程 · ${book.checks} 个质检项`),
    h('section', { class: 'panel' }, h('h2', {}, '试一试'), h('div', { class: 'row' }, tryText, h('button', { onclick: runTry }, '检查')), tryOut),
    h('section', { class: 'panel' }, cats), h('section', { class: 'panel' }, rules),
    // Every file of the rulebook, not only the forbidden phrases: replies, scenarios, procedures, checks.
    me.role === 'admin' ? h('section', { class: 'panel', id: 'rulebook-files' }, h('h2', {}, '规则库文件'),
      h('ul', { class: 'files' }, (book.files || []).filter((path) => path.endsWith('.toml')).map((path) => h('li', {}, h('a', { href: `#/edit/${encodeURIComponent(path)}`, title: path }, fileLabel(path)))))) : null);
  if (me.role !== 'agent') {
    // Every saved version, newest first; an earlier one can be restored (as a new version).
    const versions = await api('GET', '/api/v1/rulebook/versions');
    main.append(h('section', { class: 'panel', id: 'versions' }, h('h2', {}, `版本历史（共 ${versions.length} 个）`),
      h('table', {}, h('thead', {}, h('tr', {}, ['版本', '时间', '修改人', '说明', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, versions.slice(0, 50).map((x) => h('tr', { 'data-version': x.version }, h('td', {}, `v${x.version}`, x.version === book.version ? h('span', { class: 'pill good' }, '使用中') : null),
          h('td', { class: 'small' }, fmtTime(x.created_at)), h('td', {}, x.created_by ? (names.byId[x.created_by] || `账号 #${x.created_by}`) : '系统'), h('td', {}, x.comment),
          h('td', {}, me.role === 'admin' && x.version !== book.version ? h('button', { class: 'ghost small restore', onclick: async () => {
            if (!confirm(`把规则库回滚到 v${x.version}？回滚会保存为一个新版本，历史记录保留。`)) return;
            try { const r = await api('POST', `/api/v1/rulebook/versions/${x.version}/restore`, { base_version: book.version }); toast(`已回滚，当前为 v${r.version}`); await loadNames(true); render(); } catch (e) { toast(e.message); }
          } }, '回滚到此版本') : null)))))));
    const { items, total } = await apiPage('/api/v1/feedback?limit=50');
    const KINDS = { false_alarm: '误报', missed: '漏报' };
    main.append(h('section', { class: 'panel', id: 'feedback' }, h('h2', {}, `误报与漏报反馈（共 ${total} 条）`),
      h('p', {}, h('a', { href: '/api/v1/feedback/export.jsonl', download: 'feedback.jsonl' }, '导出为标注数据（JSON Lines，kefu eval --lint 可直接读取）')),
      items.length ? h('table', {}, h('thead', {}, h('tr', {}, ['时间', '谁', '类型', '句子', '规则/类别', '版本'].map((t) => h('th', {}, t)))),
        h('tbody', {}, items.map((f) => h('tr', {}, h('td', { class: 'small' }, fmtTime(f.at)), h('td', {}, userName(f.username)), h('td', {}, KINDS[f.kind] || f.kind), h('td', { class: 't' }, f.text),
          h('td', { class: 'small', title: f.rule || f.category }, f.rule ? ruleLabel(f.rule, f.category) : categoryName(f.category)), h('td', { class: 'small muted' }, `规则库 v${f.rulebook_version} · ${f.model_version}`))))) : h('p', { class: 'muted' }, '暂无反馈。')));
  }
};
// A line diff of two texts (longest common subsequence), drawn with line
// numbers, changed lines marked and long unchanged stretches folded.
function lineDiff(before, after) {
  const a = before.split('\n'), b = after.split('\n');
  // Common head and tail first: an edit usually touches a few lines.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail += 1;
  const x = a.slice(head, a.length - tail), y = b.slice(head, b.length - tail);
  const ops = [];
  for (let i = 0; i < head; i++) ops.push([' ', i + 1, i + 1, a[i]]);
  if (x.length * y.length <= 4e6) {
    const L = Array.from({ length: x.length + 1 }, () => new Uint32Array(y.length + 1));
    for (let i = x.length - 1; i >= 0; i--) for (let j = y.length - 1; j >= 0; j--) L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    let i = 0, j = 0;
    while (i < x.length || j < y.length) {
      if (i < x.length && j < y.length && x[i] === y[j]) { ops.push([' ', head + i + 1, head + j + 1, x[i]]); i++; j++; }
      else if (j < y.length && (i >= x.length || L[i][j + 1] >= L[i + 1][j])) { ops.push(['+', null, head + j + 1, y[j]]); j++; }
      else { ops.push(['-', head + i + 1, null, x[i]]); i++; }
    }
  } else {
    x.forEach((l, i) => ops.push(['-', head + i + 1, null, l]));
    y.forEach((l, j) => ops.push(['+', null, head + j + 1, l]));
  }
  for (let k = 0; k < tail; k++) ops.push([' ', a.length - tail + k + 1, b.length - tail + k + 1, a[a.length - tail + k]]);
  return ops;
}
function diffView(before, after) {
  const ops = lineDiff(before, after);
  const changed = ops.map((o, i) => (o[0] !== ' ' ? i : -1)).filter((i) => i >= 0);
  const near = (i) => changed.some((c) => Math.abs(c - i) <= 2);
  const rows = [];
  let folded = 0;
  ops.forEach((o, i) => {
    if (o[0] === ' ' && !near(i)) { folded += 1; return; }
    if (folded) { rows.push(h('tr', { class: 'fold' }, h('td', { colspan: 3 }, `…… ${folded} 行未改动`))); folded = 0; }
    rows.push(h('tr', { class: o[0] === '+' ? 'add' : o[0] === '-' ? 'del' : '' }, h('td', { class: 'ln' }, o[1] ?? ''), h('td', { class: 'ln' }, o[2] ?? ''), h('td', { class: 'code' }, `${o[0]} ${o[3]}`)));
  });
  if (folded) rows.push(h('tr', { class: 'fold' }, h('td', { colspan: 3 }, `…… ${folded} 行未改动`)));
  const added = ops.filter((o) => o[0] === '+').length, removed = ops.filter((o) => o[0] === '-').length;
  return h('div', { class: 'diff', id: 'diff' }, h('p', { class: 'small' }, `改动：新增 ${added} 行，删除 ${removed} 行`), h('table', { class: 'code-view' }, h('tbody', {}, rows)));
}

// A phrase or an example added to a rule from a form: the change is shown
// (the file's diff) before it is saved as a new version.
const ADDABLE = [['patterns', '禁用说法'], ['exceptions', '例外说法'], ['bad', '违规示例'], ['good', '合规示例']];
function additionForm(button, rule, version) {
  const cell = button.closest('td');
  if (cell.querySelector('.addition')) return;
  const field = h('select', { class: 'add-field', 'aria-label': '添加到' }, ADDABLE.map(([k, v]) => h('option', { value: k }, v)));
  const text = h('input', { class: 'add-text grow', 'aria-label': '内容', placeholder: '一句话或一个说法' });
  const out = h('div', { class: 'add-out' });
  const body = (dry) => ({ field: field.value, text: text.value, base_version: version, dry_run: dry });
  const url = `/api/v1/rulebook/rules/${encodeURIComponent(rule.id)}/additions`;
  const preview = async () => {
    if (!text.value.trim()) { text.classList.add('invalid'); out.replaceChildren(h('p', { class: 'check-fail small' }, '请填写要添加的内容')); return; }
    try {
      const r = await api('POST', url, body(true));
      out.replaceChildren(diffView(r.before, r.after), h('div', { class: 'row gap-top' }, h('button', { class: 'small confirm-addition', onclick: async () => {
        try { const saved = await api('POST', url, body(false)); toast(`已保存为 v${saved.version}`); await loadNames(true); render(); } catch (x) { out.replaceChildren(h('pre', { class: 'err' }, x.message)); }
      } }, '确认保存')));
    } catch (x) { out.replaceChildren(h('pre', { class: 'err' }, x.message)); }
  };
  const form = h('div', { class: 'addition panel tight' }, h('div', { class: 'row' }, field, text, h('button', { class: 'small preview-addition', onclick: preview }, '预览改动'), h('button', { class: 'ghost small', onclick: () => form.remove() }, '取消')), out);
  cell.append(form);
  text.focus();
}

views.edit = async (path, main) => {
  const f = await api('GET', `/api/v1/rulebook/file?path=${encodeURIComponent(path)}`);
  // The text with its line numbers in a gutter that scrolls with it (errors name file:line).
  const text = h('textarea', { class: 'code', id: 'rulebook-text', spellcheck: 'false', wrap: 'off' });
  text.value = f.text;
  const gutter = h('pre', { class: 'gutter', 'aria-hidden': 'true' });
  const numbers = () => { gutter.textContent = Array.from({ length: text.value.split('\n').length }, (_, i) => i + 1).join('\n'); gutter.scrollTop = text.scrollTop; };
  text.addEventListener('input', numbers);
  text.addEventListener('scroll', () => { gutter.scrollTop = text.scrollTop; });
  numbers();
  const comment = h('input', { id: 'edit-comment', placeholder: '修改说明', class: 'grow' });
  const out = h('div', { id: 'edit-result' });
  const save = async () => {
    try {
      const r = await api('PUT', '/api/v1/rulebook/file', { path: f.path, text: text.value, base_version: f.version, comment: comment.value });
      toast(`已保存为 v${r.version}`);
      await loadNames(true);
      route('#/rulebook');
    } catch (e) { out.replaceChildren(h('pre', { class: 'err' }, e.message)); }
  };
  // Saving shows the change first; it is saved once confirmed.
  const review = () => {
    if (text.value === f.text) { out.replaceChildren(h('p', { class: 'muted' }, '没有改动。')); return; }
    out.replaceChildren(diffView(f.text, text.value), h('div', { class: 'row gap-top' }, h('button', { id: 'confirm-save', onclick: save }, '确认保存'), h('button', { class: 'ghost', onclick: () => out.replaceChildren() }, '继续修改')));
  };
  main.append(h('h1', { title: f.path }, `编辑：${fileLabel(f.path)}（基于 v${f.version}）`),
    h('section', { class: 'panel' }, h('div', { class: 'editor' }, gutter, text), h('div', { class: 'row gap-top' }, comment, h('button', { id: 'save-rulebook', onclick: review }, '查看改动并保存')), out,
      h('p', { class: 'muted small' }, '保存前会显示改动，并校验整个规则库、运行全部示例；有错误时不会保存。')));
};

// ——— checks written by the QA team ———
// A form builds one [[check]] (its TOML shown and editable); the file is
// validated as it is typed, previewed on the newest stored calls, and saved
// as a rulebook version (admins), with its diff first.
const OPERATOR_FORM = {
  keywords: ['关键词', [['any', '说法（每行一个，可用规则库写法）', 'list'], ['all', '须全部出现的说法（每行一个）', 'list'], ['at_least', '至少出现几个（与 any 一起用）', 'int']]],
  similar: ['相似句', [['examples', '例句（每行一个）', 'list'], ['threshold', '相似度阈值（0–1，默认 0.6）', 'num']]],
  regex: ['正则', [['pattern', '正则表达式', 'text'], ['exclude', '排除的正则（可选）', 'text']]],
  forbidden: ['服务忌语', [['categories', '忌语类别 id（每行一个，空为全部）', 'list']]],
  scenario: ['客户场景', [['scenarios', '场景 id（每行一个，如 inquiry、complaint）', 'list']]],
  entity: ['信息实体', [['kinds', '实体（phone、order、id_card、amount、date，每行一个）', 'list']]],
  repeat: ['重复', [['times', '同一句话几次', 'int'], ['within_turns', '在几轮之内（默认 10）', 'int']]],
  silence: ['静音', [['longer_than', '长于几秒', 'num']]],
  interrupt: ['抢话', [['longer_than', '重叠长于几秒（默认 0.5）', 'num']]],
  speech_rate: ['语速', [['faster_than', '快于（字/分钟）', 'num'], ['slower_than', '慢于（字/分钟）', 'num']]],
  hold: ['保持', [['count_at_least', '至少几次', 'int'], ['longer_than', '某次长于几秒', 'num']]],
  duration: ['通话时长', [['longer_than', '长于几秒', 'num'], ['shorter_than', '短于几秒', 'num']]],
  rings: ['振铃', [['more_than', '多于几声', 'int'], ['fewer_than', '少于几声', 'int']]],
  meta: ['会话属性', [['field', '字段名', 'text'], ['equals', '等于', 'text'], ['in', '属于（每行一个）', 'list']]],
};
const POSITION_FORM = [['first_turns', '前几轮'], ['last_turns', '最后几轮'], ['within_seconds_of_start', '开始后几秒内'], ['within_seconds_of_end', '结束前几秒内'], ['after', '在条件之后（条件 id）'], ['within_turns', '之后几轮内']];
const tomlString = (v) => JSON.stringify(String(v));
function conditionEditor(n, onChange) {
  const id = h('input', { class: 'cond-id', size: 4, value: String.fromCharCode(97 + n), 'aria-label': '条件 id' });
  const op = h('select', { class: 'cond-op', 'aria-label': '算子' }, Object.entries(OPERATOR_FORM).map(([k, [label]]) => h('option', { value: k }, `${label}（${k}）`)));
  const speaker = h('select', { class: 'cond-speaker', 'aria-label': '说话人' }, [['', '不限'], ['agent', '坐席'], ['customer', '客户']].map(([k, v]) => h('option', { value: k }, v)));
  const params = h('div', { class: 'filters cond-params' });
  const position = h('div', { class: 'filters cond-position' }, POSITION_FORM.map(([k, label]) => h('div', {}, h('label', {}, label), h('input', { 'data-key': k, size: 6, oninput: onChange }))));
  const drawParams = () => params.replaceChildren(...OPERATOR_FORM[op.value][1].map(([k, label, kind]) => h('div', {}, h('label', {}, label),
    kind === 'list' ? h('textarea', { 'data-key': k, 'data-kind': kind, rows: 2, cols: 26, oninput: onChange }) : h('input', { 'data-key': k, 'data-kind': kind, size: kind === 'text' ? 20 : 6, oninput: onChange }))));
  op.addEventListener('change', () => { drawParams(); onChange(); });
  for (const el of [id, speaker]) el.addEventListener('input', onChange);
  drawParams();
  const el = h('div', { class: 'panel tight condition' }, h('div', { class: 'row' }, h('b', {}, '条件'), id, op, speaker, h('button', { type: 'button', class: 'ghost small', onclick: () => { el.remove(); onChange(); } }, '删除')), params, h('details', {}, h('summary', { class: 'small' }, '位置限定（可选）'), position));
  el.toToml = () => {
    const lines = ['[[check.condition]]', `id = ${tomlString(id.value.trim())}`, `operator = ${tomlString(op.value)}`];
    if (speaker.value) lines.push(`speaker = ${tomlString(speaker.value)}`);
    for (const input of params.querySelectorAll('[data-key]')) {
      const v = input.value.trim();
      if (!v) continue;
      const kind = input.dataset.kind;
      lines.push(`${input.dataset.key} = ${kind === 'list' ? `[${v.split(/\n|、|,|，/).map((x) => x.trim()).filter(Boolean).map(tomlString).join(', ')}]` : kind === 'text' ? tomlString(v) : Number.isNaN(Number(v)) ? tomlString(v) : v}`);
    }
    const pos = [...position.querySelectorAll('[data-key]')].filter((i) => i.value.trim()).map((i) => `${i.dataset.key} = ${i.dataset.key === 'after' ? tomlString(i.value.trim()) : i.value.trim()}`);
    if (pos.length) lines.push(`position = { ${pos.join(', ')} }`);
    return lines.join('\n');
  };
  return el;
}
views.checks = async (file, main) => {
  if (me.role === 'agent') { main.append(h('h1', {}, '质检项'), h('p', { class: 'muted' }, '质检项由班长和管理员维护。')); return; }
  const book = names.book;
  const files = (book.files || []).filter((p) => p.startsWith('inspection/') && p.endsWith('.toml') && !['inspection/checks.toml', 'inspection/cues.toml'].includes(p));
  const path = h('input', { id: 'check-path', size: 26, value: file || 'inspection/custom.toml' });
  const text = h('textarea', { class: 'code', id: 'check-text', spellcheck: 'false', rows: 18 });
  let saved = '';
  if (file) { try { saved = (await api('GET', `/api/v1/rulebook/file?path=${encodeURIComponent(file)}`)).text; } catch { saved = ''; } }
  text.value = saved;
  const status = h('div', { id: 'check-validation', class: 'small' });
  const out = h('div', { id: 'check-preview' });
  // Validate as it is typed (a moment after the last keystroke).
  let timer = null, validationSeq = 0;
  const validate = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const seq = ++validationSeq;
      if (!text.value.trim()) { status.textContent = ''; return; }
      try {
        const v = await api('POST', '/api/v1/checks/validate', { path: path.value, text: text.value });
        if (seq !== validationSeq) return;
        status.replaceChildren(v.ok ? h('span', { class: 'pill good', id: 'check-valid' }, `校验通过：${v.checks.map((c) => `${c.name}（${c.points} 分）`).join('、') || '（没有检查项）'}`)
          : h('pre', { class: 'err code-view', id: 'check-errors' }, v.errors.join('\n')));
      } catch (x) { if (seq === validationSeq) status.replaceChildren(h('pre', { class: 'err' }, x.message)); }
    }, 350);
  };
  text.addEventListener('input', validate);
  // The form: one check, appended to the file as TOML.
  const f = {};
  const input = (id, label, attrs) => { f[id] = h('input', { id: `ck-${id}`, ...attrs }); return h('div', {}, h('label', { for: `ck-${id}` }, label), f[id]); };
  const veto = h('input', { type: 'checkbox', id: 'ck-veto' });
  const channel = h('select', { id: 'ck-channel' }, [['', '电话和在线'], ['phone', '仅电话'], ['chat', '仅在线']].map(([k, v]) => h('option', { value: k }, v)));
  const conditions = h('div', { id: 'ck-conditions' });
  const preview = h('pre', { class: 'code code-view', id: 'ck-toml' });
  const generated = () => {
    const lines = ['[[check]]', `id = ${tomlString(f.id.value.trim())}`, `name = ${tomlString(f.name.value.trim())}`, `points = ${Number(f.points.value) || 0}`, `veto = ${veto.checked}`, `source = ${tomlString(f.source.value.trim())}`, `logic = ${tomlString(f.logic.value.trim())}`];
    if (channel.value) lines.push('[check.when]', `channel = ${tomlString(channel.value)}`);
    return [lines.join('\n'), ...[...conditions.children].map((c) => c.toToml())].join('\n');
  };
  const redraw = () => { preview.textContent = generated(); };
  const form = h('div', { class: 'filters', id: 'check-form' }, input('id', '检查项编号（英文字母、数字和点，全中心唯一）', { size: 22, oninput: redraw }), input('name', '名称', { size: 16, oninput: redraw }),
    input('points', '分值', { size: 4, value: '10', oninput: redraw }), h('div', {}, h('label', { for: 'ck-veto' }, '一票否决'), veto), input('source', '依据（本中心细则条款）', { size: 24, oninput: redraw }),
    input('logic', '不通过条件（如 a && !b）', { size: 14, oninput: redraw }), h('div', {}, h('label', { for: 'ck-channel' }, '适用'), channel));
  veto.addEventListener('change', redraw);
  channel.addEventListener('change', redraw);
  const addCondition = () => { conditions.append(conditionEditor(conditions.children.length, redraw)); redraw(); };
  addCondition();
  const appendToFile = () => { text.value = (text.value.trim() ? text.value.trimEnd() + '\n\n' : '') + generated() + '\n'; validate(); };
  const runPreview = async () => {
    out.replaceChildren(h('p', { class: 'muted' }, '正在用最近的会话预演…'));
    try {
      const p = await api('POST', '/api/v1/checks/preview', { path: path.value, text: text.value, limit: 200 });
      const exampleList = (list, withEvidence) => h('ul', { class: 'small' }, list.map((e) => h('li', {}, h('a', { href: `#/conversation/${encodeURIComponent(e.conversation_id)}` }, e.conversation_id), ` ${agentName(e.agent)} ${fmtTime(e.started_at)}`,
        withEvidence ? e.evidence.slice(0, 2).map((x) => h('div', { class: 'muted' }, `第 ${x.turn + 1} 轮${x.text ? '“' + x.text + '”' : ''}：${x.note.replace(/条件 (\w+)（/g, '条件 $1（')}`)) : null)));
      out.replaceChildren(h('p', {}, `用最近的 ${p.conversations} 个会话预演：`), ...p.checks.map((c) => h('div', { class: 'panel tight', 'data-check': c.id }, h('b', {}, c.name),
        h('span', { class: 'preview-counts' }, ` 不通过 ${c.fail} · 通过 ${c.pass} · 不适用 ${c.not_applicable}`),
        h('div', { class: 'grid3' }, h('div', {}, h('div', { class: 'check-fail small' }, '不通过的例子'), exampleList(c.failed, true)), h('div', {}, h('div', { class: 'small' }, '通过的例子'), exampleList(c.passed, false)),
          h('div', {}, h('div', { class: 'small muted' }, '不适用的例子'), exampleList(c.not_applicable_examples, false))))));
    } catch (x) { out.replaceChildren(h('pre', { class: 'err code-view' }, x.message)); }
  };
  const save = async () => {
    let base;
    try { base = await api('GET', '/api/v1/rulebook'); } catch (x) { toast(x.message); return; }
    out.replaceChildren(diffView(saved, text.value), h('div', { class: 'row gap-top' }, h('button', { id: 'confirm-check-save', onclick: async () => {
      try {
        const r = await api('PUT', '/api/v1/rulebook/file', { path: path.value, text: text.value, base_version: base.version, comment: `质检项：${path.value}` });
        toast(`已保存为规则库 v${r.version}`);
        await loadNames(true);
        route(`#/checks/${encodeURIComponent(path.value)}`);
      } catch (x) { out.replaceChildren(h('pre', { class: 'err code-view' }, x.message)); }
    } }, '确认保存')));
  };
  main.append(h('h1', {}, '质检项'),
    h('section', { class: 'panel' }, h('h2', {}, '本中心的检查项文件'), files.length ? h('ul', { class: 'files' }, files.map((p) => h('li', {}, h('a', { href: `#/checks/${encodeURIComponent(p)}`, title: p }, p.replace('inspection/', '').replace('.toml', ''))))) : h('p', { class: 'muted' }, '还没有自定义检查项。'),
      h('p', { class: 'muted small' }, `内置检查项 ${book.check_list.length} 个见规则库页；这里的检查项按条件组合判断，不通过条件成立即不通过，证据是各条件命中的轮次。`)),
    h('section', { class: 'panel' }, h('h2', {}, '用表单写一个检查项'), form, conditions,
      h('div', { class: 'row gap-top' }, h('button', { type: 'button', class: 'ghost', id: 'ck-add-condition', onclick: addCondition }, '添加条件'), h('button', { type: 'button', id: 'ck-append', onclick: appendToFile }, '加入下方文件')),
      h('details', { open: true }, h('summary', { class: 'small' }, '生成的 TOML'), preview)),
    h('section', { class: 'panel' }, h('h2', {}, '文件'), h('div', { class: 'row' }, h('label', { for: 'check-path' }, '文件名'), path), text, status,
      h('div', { class: 'row gap-top' }, h('button', { class: 'ghost', id: 'check-preview-run', onclick: runPreview }, '用最近的会话预演'), me.role === 'admin' ? h('button', { id: 'check-save', onclick: save }, '查看改动并保存') : h('span', { class: 'muted small' }, '保存需管理员')),
      out));
  redraw();
  validate();
};

// ——— accounts ———
// A team picker: the teams in use, or a new one typed in (trimmed, so
// "售后一组 " is 售后一组, never a second team).
function teamPicker(id, current) {
  const NEW = '\u0000new';
  const select = h('select', { id }, h('option', { value: '' }, '（不分组）'), names.teams.map((t) => h('option', { value: t, selected: t === current }, t)), h('option', { value: NEW }, '新建班组…'));
  const typed = h('input', { id: `${id}-new`, placeholder: '新班组名称', size: 10, hidden: true, 'aria-label': '新班组名称' });
  select.addEventListener('change', () => { typed.hidden = select.value !== NEW; if (!typed.hidden) typed.focus(); });
  const value = () => (select.value === NEW ? typed.value : select.value).trim().replace(/\s+/g, ' ');
  return { el: h('span', { class: 'team-picker' }, select, typed), select, typed, value };
}

views.users = async (_, main) => {
  const users = await api('GET', '/api/v1/users');
  const f = {};
  const input = (id, label, attrs) => { f[id] = h('input', { id: `new-${id}`, ...attrs }); return h('div', {}, h('label', { for: `new-${id}` }, label), f[id]); };
  const role = h('select', { id: 'new-role' }, Object.entries(ROLE).map(([k, v]) => h('option', { value: k }, v)));
  const team = teamPicker('new-team', '');
  const err = errorBox('user-error');
  const errors = formErrors(err);
  const form = h('form', { class: 'filters', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    errors.clear();
    if (!errors.required([['用户名', f.username], ['姓名', f.display_name], ['初始密码', f.password]])) return;
    try {
      await api('POST', '/api/v1/users', { username: f.username.value.trim(), display_name: f.display_name.value, role: role.value, team: team.value(), agent_id: f.agent_id.value, work_no: f.work_no.value, password: f.password.value });
      toast('账号已创建');
      await loadNames(true);
      render();
    } catch (x) { errors.server(x, (k) => (k === 'team' ? team.select : f[k])); }
  } }, input('username', '用户名 *', { size: 12 }), input('display_name', '姓名 *', { size: 8 }), h('div', {}, h('label', { for: 'new-role' }, '角色'), role),
  h('div', {}, h('label', { for: 'new-team' }, '班组'), team.el), input('agent_id', '坐席编号（与会话记录中的坐席编号一致；Chatwoot 用邮箱）', { size: 14 }), input('work_no', '工号（标准话术中报给客户）', { size: 6 }), input('password', '初始密码 *', { type: 'password', size: 12, autocomplete: 'new-password' }), h('button', { type: 'submit', id: 'create-user' }, '创建'));
  // One account's row, and its editor in place of it.
  const body = h('tbody', {});
  const rowOf = (u) => h('tr', { 'data-user': u.username, class: u.active ? '' : 'muted' }, h('td', { class: 'login-name' }, u.username), h('td', {}, u.display_name), h('td', {}, ROLE[u.role]), h('td', {}, u.team), h('td', {}, u.agent_id), h('td', {}, u.work_no || ''),
    h('td', {}, u.active ? h('span', { class: 'pill good' }, '启用') : h('span', { class: 'pill' }, '停用')),
    h('td', {}, h('button', { class: 'ghost small edit-user', onclick: (e) => e.target.closest('tr').replaceWith(editorOf(u)) }, '编辑')));
  const editorOf = (u) => {
    const name = h('input', { value: u.display_name, size: 8, 'aria-label': '姓名', class: 'edit-name' });
    const r = h('select', { 'aria-label': '角色', class: 'edit-role' }, Object.entries(ROLE).map(([k, v]) => h('option', { value: k, selected: k === u.role }, v)));
    const t = teamPicker(`edit-team-${u.id}`, u.team);
    const agentId = h('input', { value: u.agent_id, size: 12, 'aria-label': '坐席 ID' });
    const workNo = h('input', { value: u.work_no || '', size: 6, 'aria-label': '工号' });
    const active = h('select', { 'aria-label': '状态', class: 'edit-active' }, h('option', { value: 'true', selected: u.active }, '启用'), h('option', { value: 'false', selected: !u.active }, '停用'));
    const password = h('input', { type: 'password', size: 12, placeholder: '重置密码（留空不改）', 'aria-label': '重置密码', autocomplete: 'new-password', class: 'edit-password' });
    const rowErr = errorBox(`user-${u.id}-error`);
    const rowErrors = formErrors(rowErr);
    const save = async () => {
      rowErrors.clear();
      if (!rowErrors.required([['姓名', name]])) return;
      const patch = { display_name: name.value, role: r.value, team: t.value(), agent_id: agentId.value, work_no: workNo.value, active: active.value === 'true' };
      if (patch.active === false && u.active && !confirm(`停用“${u.display_name}”？停用后该账号立即退出登录、不能再登录，历史记录保留。`)) return;
      if (password.value) patch.password = password.value;
      try {
        const saved = await api('PATCH', `/api/v1/users/${u.id}`, patch);
        toast(password.value ? '已保存，密码已重置（该账号的登录已全部退出）' : '已保存');
        await loadNames(true);
        tr.replaceWith(rowOf(saved));
      } catch (x) { rowErrors.server(x, (k) => ({ display_name: name, team: t.select, agent_id: agentId, work_no: workNo, password }[k])); }
    };
    const tr = h('tr', { class: 'editing', 'data-user': u.username }, h('td', { class: 'login-name' }, u.username), h('td', {}, name), h('td', {}, r), h('td', {}, t.el), h('td', {}, agentId), h('td', {}, workNo), h('td', {}, active),
      h('td', {}, password, h('div', { class: 'row' }, h('button', { class: 'small save-user', onclick: save }, '保存'), h('button', { class: 'ghost small', onclick: () => tr.replaceWith(rowOf(u)) }, '取消')), rowErr));
    return tr;
  };
  body.append(...users.map(rowOf));
  const tokenName = h('input', { id: 'token-name', size: 14, placeholder: '用途，如 Chatwoot' });
  const tokenUser = h('select', { id: 'token-user' }, users.filter((u) => u.active).map((u) => h('option', { value: u.id }, `${u.display_name}${u.team ? "（" + u.team + "）" : "（" + ROLE[u.role] + "）"}`)));
  const tokenDays = h('input', { id: 'token-days', size: 5, value: '90' });
  const shown = h('div', { id: 'token-shown' });
  const tokenBody = h('tbody', {});
  const tokenState = (t) => t.revoked ? '已撤销' : (new Date(t.expires_at) < new Date() ? '已过期' : '有效');
  const revoke = (t) => async () => {
    if (!confirm(`撤销令牌“${t.name}”？使用它的系统将立即无法访问。`)) return;
    try { await api('DELETE', `/api/v1/tokens/${t.id}`); toast('令牌已撤销'); await drawTokens(); } catch (x) { toast(x.message); }
  };
  async function drawTokens() {
    const tokens = await api('GET', '/api/v1/tokens');
    tokenBody.replaceChildren(...tokens.map((t) => h('tr', {}, h('td', {}, t.name), h('td', {}, userName(t.username)), h('td', {}, fmtTime(t.created_at)), h('td', {}, fmtTime(t.expires_at)), h('td', {}, tokenState(t)),
      h('td', {}, t.revoked ? '' : h('button', { class: 'revoke-token', onclick: revoke(t) }, '撤销')))));
  }
  await drawTokens();
  const tokenForm = h('form', { class: 'filters', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const t = await api('POST', '/api/v1/tokens', { name: tokenName.value, user_id: Number(tokenUser.value), expires_days: Number(tokenDays.value) });
      shown.replaceChildren(h('p', {}, `令牌只显示这一次，请立即复制（${fmtTime(t.expires_at)} 到期）：`), h('pre', { class: 'code' }, t.token));
      await drawTokens();
    } catch (x) { toast(x.message); }
  } }, h('div', {}, h('label', { for: 'token-name' }, '名称'), tokenName), h('div', {}, h('label', { for: 'token-user' }, '代表账号'), tokenUser),
  h('div', {}, h('label', { for: 'token-days' }, '有效天数'), tokenDays), h('button', { type: 'submit' }, '创建令牌'));
  main.append(h('h1', {}, '账号'), h('section', { class: 'panel' }, h('h2', {}, '新建账号'), form, err,
    h('p', { class: 'muted small' }, '初始密码至少 10 个字符，不能是用户名、同一个字符重复或常见密码。')),
    h('section', { class: 'panel' }, h('table', { id: 'users' }, h('thead', {}, h('tr', {}, ['用户名', '姓名', '角色', '班组', '坐席 ID', '工号', '状态', ''].map((t) => h('th', {}, t)))), body)),
    h('section', { class: 'panel' }, h('h2', {}, 'API 令牌（接入 Chatwoot、Webhook、Prometheus）'), tokenForm, shown,
      h('table', { id: 'tokens' }, h('thead', {}, h('tr', {}, ['名称', '代表账号', '创建', '到期', '状态', ''].map((t) => h('th', {}, t)))), tokenBody)));
};


// ——— service desk: records, deadlines ———
const KIND = { repair: '客户报修记录表', complaint: '客户投诉处理通知单', walkin_complaint: '上门客诉', call_log: '每日接听电话记录表', task: '回复制任务' };
const FIELDS = {
  repair: [['customer', '客户', true], ['contact', '联系电话', true], ['address', '地址', true], ['description', '报修内容', true], ['category', '类别'], ['product', '产品'], ['appointment', '预约时间'], ['promised_reply_hours', '承诺回复（工作小时）']],
  complaint: [['customer', '客户', true], ['contact', '联系电话', true], ['description', '投诉内容', true], ['address', '地址'], ['category', '类别'], ['promised_reply_hours', '承诺回复（工作小时）']],
  walkin_complaint: [['customer', '客户', true], ['description', '投诉内容', true], ['contact', '联系电话'], ['address', '地址']],
  call_log: [['date', '日期', true]],
  task: [['title', '任务', true], ['assigned_by', '安排人', true], ['description', '内容', true]],
};
const OBLIGATION = { forward: '发送主管', record_after_urgent: '紧急投诉补录', reply: '按承诺回复客户', walkin_reply: '三个工作日内联系客户', daily_log: '下班前发送日报', task_reply: '完成后回复' };
const STATE = { open: ['进行中', ''], warning: ['即将到期', 'warn'], breached: ['已超时', 'bad'], done: ['已完成', 'good'] };
const stateEl = (s) => h('span', { class: `pill ${STATE[s] ? STATE[s][1] : ''}` }, STATE[s] ? STATE[s][0] : s);
let prefill = null;

// The entries of a daily call log (客服中心每日接听电话记录表) as an editable
// table: one row per call, the form's columns, rows added and removed.
const ENTRY_COLUMNS = [['time', '时间', 6], ['caller', '来电人', 8], ['contact', '联系电话', 12], ['summary', '通话内容', 32], ['handling', '处理情况', 22]];
function entriesEditor(entries) {
  const body = h('tbody', {});
  const addRow = (e = {}) => {
    const tr = h('tr', { class: 'entry' }, ENTRY_COLUMNS.map(([k, label, size]) => h('td', {}, h('input', { 'data-key': k, 'aria-label': label, size, value: e[k] || '' }))),
      h('td', {}, h('button', { type: 'button', class: 'ghost small remove-entry', onclick: () => tr.remove() }, '删除')));
    body.append(tr);
  };
  const set = (list) => { body.replaceChildren(); (list || []).forEach(addRow); };
  set(entries);
  const el = h('div', { id: 'entries' }, h('table', {}, h('thead', {}, h('tr', {}, ENTRY_COLUMNS.map(([, label]) => h('th', {}, label)), h('th', {}, ''))), body),
    h('button', { type: 'button', class: 'ghost gap-top', id: 'add-entry', onclick: () => addRow() }, '添加一条'));
  const value = () => [...body.querySelectorAll('tr.entry')].map((tr) => Object.fromEntries([...tr.querySelectorAll('input')].map((i) => [i.dataset.key, i.value.trim()])))
    .filter((e) => Object.values(e).some((v) => v));
  return { el, set, value };
}
const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);

views.records = async (_, main) => {
  const offset = pageOf();
  const { items: list, total } = await apiPage(`/api/v1/records?limit=${PAGE}&offset=${offset}`);
  const kind = h('select', { id: 'record-kind' }, Object.entries(KIND).map(([k, v]) => h('option', { value: k }, v)));
  const box = h('div', { class: 'filters', id: 'record-fields' });
  const urgent = h('input', { type: 'checkbox', id: 'record-urgent' });
  // 相关主管 chosen from the accounts that can supervise, by name.
  const supervisor = h('select', { id: 'record-supervisor' }, h('option', { value: '' }, '（不指定）'),
    names.people.filter((p) => p.active && p.role !== 'agent').map((p) => h('option', { value: p.username }, `${p.display_name}${p.team ? '（' + p.team + '）' : ''}`)));
  const err = errorBox('record-error');
  const errors = formErrors(err);
  const inputs = {};
  let entries = null;
  const logNote = h('p', { class: 'muted small', id: 'log-note' });
  // The day's calls as the log's entries; only the answer for the day now
  // chosen is drawn (a slower answer for the day picked before is dropped).
  let draftSeq = 0;
  const loadDraft = async () => {
    logNote.textContent = '';
    const seq = ++draftSeq;
    const date = inputs.date.value;
    try {
      const d = await api('GET', `/api/v1/records/call-log-draft?date=${encodeURIComponent(date)}`);
      if (seq !== draftSeq) return;
      entries.set(d.entries);
      logNote.textContent = d.existing ? `${fmtDay(date)}已填过（#${d.existing}），请在原记录上修改。` : `已按${fmtDay(date)}的 ${d.entries.length} 个电话预填，可修改、增删后提交。`;
    } catch (x) { if (seq === draftSeq) logNote.textContent = x.message; }
  };
  const drawFields = () => {
    box.replaceChildren();
    entries = null;
    for (const [id, label, required] of FIELDS[kind.value]) {
      inputs[id] = id === 'date' ? h('input', { id: 'field-date', type: 'date', max: today(), value: today(), onchange: loadDraft }) : h('input', { id: `field-${id}`, size: id === 'description' ? 40 : 14 });
      box.append(h('div', {}, h('label', { for: `field-${id}` }, label, required ? ' *' : ''), inputs[id]));
    }
    if (kind.value === 'call_log') {
      entries = entriesEditor([]);
      box.append(h('div', { class: 'wide' }, logNote, entries.el));
      loadDraft();
    }
  };
  kind.addEventListener('change', drawFields);
  const from = prefill;
  prefill = null;
  if (from) kind.value = from.kind;
  drawFields();
  if (from) for (const [k, val] of Object.entries(from.fields)) if (inputs[k]) inputs[k].value = val;
  const submit = async (e) => {
    e.preventDefault();
    errors.clear();
    // Every required field left empty is named and marked at once.
    if (!errors.required(FIELDS[kind.value].filter(([, , required]) => required).map(([id, label]) => [label, inputs[id]]))) return;
    const fields = {};
    for (const [id] of FIELDS[kind.value]) {
      const v = inputs[id].value.trim();
      if (v) fields[id] = id === 'promised_reply_hours' ? Number(v) : v;
    }
    if (entries) fields.entries = entries.value();
    try {
      const r = await api('POST', '/api/v1/records', { kind: kind.value, fields, urgent: urgent.checked, supervisor: supervisor.value, conversation_id: from ? from.conversation_id : undefined });
      toast('记录已创建');
      route(`#/record/${r.record.id}`);
    } catch (x) { errors.server(x, (f) => (f.startsWith('fields.') ? inputs[f.slice(7)] : f === 'supervisor' ? supervisor : null)); }
  };
  const table = h('table', { id: 'records' }, h('thead', {}, h('tr', {}, ['编号', '类型', '客户/任务', '状态', '负责人', '班组', '收到时间'].map((t) => h('th', {}, t)))),
    h('tbody', {}, list.map((r) => h('tr', { class: 'click', 'data-id': r.id, onclick: () => route(`#/record/${r.id}`) },
      h('td', {}, `#${r.id}`), h('td', {}, KIND[r.kind] || r.kind), h('td', {}, r.fields.customer || r.fields.title || r.fields.date || ''),
      h('td', {}, { open: '待处理', forwarded: '已发送主管', replied: '已回复', closed: '已关闭' }[r.status] || r.status, r.urgent ? h('span', { class: 'pill bad' }, '紧急') : null),
      h('td', {}, r.owner_name), h('td', {}, r.team), h('td', { class: 'small' }, fmtTime(r.received_at))))));
  main.append(h('h1', {}, '服务台'),
    h('section', { class: 'panel' }, h('h2', {}, from ? `新建记录（来自会话 ${from.conversation_id}）` : '新建记录'), h('form', { onsubmit: submit, novalidate: true },
      h('div', { class: 'filters' }, h('div', {}, h('label', { for: 'record-kind' }, '表单'), kind), h('div', {}, h('label', { for: 'record-supervisor' }, '相关主管'), supervisor),
        h('div', {}, h('label', { for: 'record-urgent' }, '紧急'), urgent)), box, h('div', { class: 'row gap-top' }, h('button', { type: 'submit', id: 'create-record' }, '创建')), err)),
    h('section', { class: 'panel' }, h('h2', {}, `记录（共 ${total} 条）`), h('p', {}, h('a', { href: '/api/v1/records/export.xlsx', download: 'records.xlsx' }, '导出 Excel')), list.length ? [table, pager('records-pager', total, offset, list.length, goTo)] : h('p', { class: 'muted' }, '暂无记录。')));
};

views.record = async (id, main) => {
  const v = await api('GET', `/api/v1/records/${id}`);
  const note = h('input', { id: 'event-note', placeholder: '说明（进展更新必填）', class: 'grow' });
  const act = (action) => async () => {
    try { await api('POST', `/api/v1/records/${id}/events`, { action, note: note.value }); toast('已更新'); views.record(id, main); } catch (e) { toast(e.message); }
  };
  const labels = Object.fromEntries((FIELDS[v.record.kind] || []).map(([k, label]) => [k, label]));
  const fields = h('table', {}, h('tbody', {}, Object.entries(v.record.fields).map(([k, val]) => h('tr', {}, h('th', {}, labels[k] || k), h('td', { class: 't' }, typeof val === 'object' ? JSON.stringify(val) : String(val))))));
  const owed = h('table', { id: 'obligations' }, h('thead', {}, h('tr', {}, ['义务', '期限', '状态', '依据'].map((t) => h('th', {}, t)))),
    h('tbody', {}, v.obligations.map((o) => h('tr', {}, h('td', {}, OBLIGATION[o.kind] || o.kind), h('td', {}, fmtTime(o.due_at), provisionalEl(o)), h('td', {}, stateEl(o.state)), h('td', { class: 'small muted' }, sourceLabel(o.source), o.provisional ? h('div', {}, o.provisional) : null)))));
  const history = h('ol', { class: 'steps', id: 'record-history' }, v.events.map((e) => h('li', { 'data-action': e.action }, `${fmtTime(e.at)} ${userName(e.username)} · ${EVENT[e.action] || e.action}`, e.note ? h('span', { class: 'muted' }, ` —— ${e.note}`) : null)));
  const closed = v.record.status === 'closed';
  // Edited after creation: the form's fields, and (supervisors, admins) the
  // owner and the supervisor chosen from the accounts; each change is an event.
  let editor = null;
  if (!closed) {
    const err = errorBox('record-edit-error');
    const errors = formErrors(err);
    const inputs = {};
    const formFields = v.record.kind === 'call_log' ? [] : (FIELDS[v.record.kind] || []);
    const box = h('div', { class: 'filters', id: 'record-edit-fields' }, formFields.map(([k, label, required]) => {
      const val = v.record.fields[k];
      inputs[k] = h('input', { id: `edit-${k}`, value: val === undefined || val === null ? '' : String(val), size: k === 'description' ? 40 : 14 });
      return h('div', {}, h('label', { for: `edit-${k}` }, label, required ? ' *' : ''), inputs[k]);
    }));
    const lead = me.role !== 'agent';
    const owner = lead ? h('select', { id: 'edit-owner' }, names.people.filter((p) => p.active && (me.role === 'admin' || p.team === v.record.team)).map((p) => h('option', { value: p.username, selected: p.id === v.record.owner_id }, `${p.display_name}${p.team ? '（' + p.team + '）' : ''}`))) : null;
    const supervisorPick = lead ? h('select', { id: 'edit-supervisor' }, h('option', { value: '' }, '（不指定）'), names.people.filter((p) => p.active && p.role !== 'agent').map((p) => h('option', { value: p.username, selected: p.username === v.record.supervisor }, p.display_name))) : null;
    const save = async () => {
      errors.clear();
      const body = {};
      if (formFields.length) {
        if (!errors.required(formFields.filter(([, , required]) => required).map(([k, label]) => [label, inputs[k]]))) return;
        const fields = {};
        for (const [k] of formFields) { const val = inputs[k].value.trim(); if (val) fields[k] = k === 'promised_reply_hours' ? Number(val) : val; }
        body.fields = fields;
      }
      const current = names.people.find((p) => p.id === v.record.owner_id);
      if (owner && owner.value && (!current || owner.value !== current.username)) body.owner = owner.value;
      if (supervisorPick && supervisorPick.value !== v.record.supervisor) body.supervisor = supervisorPick.value;
      try { await api('PATCH', `/api/v1/records/${id}`, body); toast('已保存'); views.record(id, main); } catch (x) { errors.server(x, (f) => (f.startsWith('fields.') ? inputs[f.slice(7)] : f === 'owner' ? owner : f === 'supervisor' ? supervisorPick : null)); }
    };
    editor = h('section', { class: 'panel', id: 'record-edit' }, h('h2', {}, lead ? '修改与转交' : '修改'), box,
      lead ? h('div', { class: 'filters gap-top' }, h('div', {}, h('label', { for: 'edit-owner' }, '负责人'), owner), h('div', {}, h('label', { for: 'edit-supervisor' }, '相关主管'), supervisorPick)) : null,
      h('div', { class: 'row gap-top' }, h('button', { id: 'save-record', onclick: save }, '保存修改')), err,
      h('p', { class: 'muted small' }, '修改和转交都记入“经过”，并写入审计日志；转交后未完成的时限一并转给新负责人。'));
  }
  let logEditor = null;
  if (v.record.kind === 'call_log') {
    const ed = entriesEditor(v.record.fields.entries || []);
    logEditor = h('section', { class: 'panel' }, h('h2', {}, `来电记录（${(v.record.fields.entries || []).length} 条）`), ed.el,
      closed ? null : h('div', { class: 'row gap-top' }, h('button', { id: 'save-entries', onclick: async () => {
        try { await api('PATCH', `/api/v1/records/${id}`, { fields: { ...v.record.fields, entries: ed.value() } }); toast('来电记录已保存'); views.record(id, main); } catch (e) { toast(e.message); }
      } }, '保存来电记录')));
  }
  main.replaceChildren(h('h1', {}, `${KIND[v.record.kind] || v.record.kind} #${v.record.id}`),
    h('p', { class: 'muted' }, `负责人 ${v.record.owner_name} · ${v.record.team || '未分组'}${v.record.supervisor ? ' · 相关主管 ' + userName(v.record.supervisor) : ''} · 收到 ${fmtTime(v.record.received_at)}`,
      v.record.conversation_id ? [' · 来自会话 ', h('a', { href: `#/conversation/${encodeURIComponent(v.record.conversation_id)}`, id: 'record-conversation' }, v.record.conversation_id)] : null),
    h('div', { class: 'grid' }, h('div', {}, h('section', { class: 'panel' }, h('h2', {}, '内容'), v.record.kind === 'call_log' ? h('p', {}, `日期：${fmtDay(v.record.fields.date)}`) : fields), logEditor, editor),
      h('div', {}, h('section', { class: 'panel' }, h('h2', {}, '时限'), owed),
        h('section', { class: 'panel' }, h('h2', {}, '处理'), closed ? h('p', { class: 'muted' }, '已关闭。') : h('div', {},
          h('div', { class: 'row' }, note),
          h('div', { class: 'row gap-top' }, h('button', { class: 'ghost', id: 'act-forwarded', onclick: act('forwarded') }, '已发送主管'), h('button', { class: 'ghost', onclick: act('progress') }, '进展更新'),
            h('button', { class: 'ghost', id: 'act-replied', onclick: act('replied') }, '已回复'), v.record.kind === 'call_log' ? h('button', { class: 'ghost', id: 'send-log', onclick: async () => {
              try { const r = await api('POST', `/api/v1/records/${id}/send`, {}); toast(r.sent); views.record(id, main); } catch (e) { toast(e.message); }
            } }, '发送日报（邮件）') : null,
            h('button', { id: 'act-closed', onclick: act('closed') }, '关闭'))), h('h3', {}, '经过'), history))));
};

// A deadline computed without the year's holiday schedule.
const provisionalEl = (o) => (o.provisional ? h('span', { class: 'pill warn provisional', title: o.provisional }, '暂定') : null);

views.deadlines = async (_, main) => {
  const offset = pageOf();
  const [page, notes] = await Promise.all([apiPage(`/api/v1/obligations?limit=${PAGE}&offset=${offset}`), api('GET', '/api/v1/notifications?limit=50')]);
  const owed = page.items;
  const late = owed.filter((o) => o.state === 'breached').length;
  const soon = owed.filter((o) => o.state === 'warning').length;
  const table = h('table', { id: 'deadlines' }, h('thead', {}, h('tr', {}, ['记录', '义务', '负责人', '期限', '状态'].map((t) => h('th', {}, t)))),
    h('tbody', {}, owed.map((o) => h('tr', { class: 'click', onclick: () => route(`#/record/${o.record_id}`) },
      h('td', {}, `#${o.record_id} ${KIND[o.record_kind] || o.record_kind}`), h('td', {}, OBLIGATION[o.kind] || o.kind), h('td', {}, o.owner_name), h('td', {}, fmtTime(o.due_at), provisionalEl(o)), h('td', {}, stateEl(o.state))))));
  main.append(h('h1', {}, '时限'), h('p', { class: 'muted' }, `未完成 ${page.total} 项${page.total > owed.length ? '（本页 ' + owed.length + ' 项）' : ''}：已超时 ${late}，即将到期 ${soon}。按法定节假日与调休、各班组工作时间计算。`),
    h('section', { class: 'panel' }, owed.length ? [table, pager('deadlines-pager', page.total, offset, owed.length, goTo)] : h('p', { class: 'muted' }, '没有未完成的义务。')),
    h('section', { class: 'panel' }, h('h2', {}, '提醒与升级'), notes.length ? h('ul', { id: 'notifications' }, notes.map((n) => h('li', {}, h('span', { class: `pill ${n.kind === 'escalation' ? 'bad' : 'warn'}` }, n.kind === 'escalation' ? '升级' : '提醒'), ' ', n.message, h('span', { class: 'small muted' }, ` ${fmtTime(n.at)}`)))) : h('p', { class: 'muted' }, '暂无。')));
};

// ——— attendance ———
const DAY = { rest: ['休息日', ''], on_time: ['正常', 'good'], late: ['迟到', 'warn'], leave: ['请假', ''], absent_notified: ['已报备缺勤', 'warn'], truant: ['旷工', 'bad'] };
const REQUEST_KIND = { notice: '请假/迟到报备', outing: '外出', makeup: '调休', overtime: '加班' };
const DAY_MARK = { rest: ['休', ''], on_time: ['✓', 'good'], late: ['迟', 'warn'], leave: ['假', ''], absent_notified: ['报', 'warn'], truant: ['旷', 'bad'] };
// A request's particulars in words.
function requestDetail(r) {
  const d = r.detail || {};
  const parts = [];
  if (d.expected) parts.push(`预计 ${d.expected} 到`);
  if (d.from) parts.push(`${d.from}–${d.to}${d.registered ? '（已填外出登记单）' : '（未填外出登记单）'}`);
  if (d.earned_on) parts.push(`${fmtDay(d.earned_on)}加班所得`);
  if (d.start) parts.push(`${fmtTime(d.start)} 至 ${fmtTime(d.end)}${d.in_advance ? '' : '（非事先申请）'}`);
  if (d.reason) parts.push(d.reason);
  return parts.join(' · ');
}
// Leave, outings, 调休 and overtime asked for in the console, approved by the supervisor.
function requestForm(after) {
  const kind = h('select', { id: 'req-kind' }, Object.entries(REQUEST_KIND).map(([k, v]) => h('option', { value: k }, v)));
  const day = h('input', { id: 'req-day', type: 'date', value: today() });
  const reason = h('input', { id: 'req-reason', size: 24, placeholder: '事由' });
  const extra = h('div', { class: 'filters', id: 'req-extra' });
  const err = errorBox('request-error');
  const errors = formErrors(err);
  const f = {};
  const draw = () => {
    for (const k of Object.keys(f)) delete f[k];
    const input = (id, label, attrs) => { f[id] = h('input', { id: `req-${id}`, ...attrs }); return h('div', {}, h('label', { for: `req-${id}` }, label), f[id]); };
    extra.replaceChildren(...({
      notice: () => [input('expected', '预计到岗（迟到时填，HH:MM）', { type: 'time' })],
      outing: () => [input('from', '外出自 *', { type: 'time' }), input('to', '至 *', { type: 'time' }), h('div', {}, h('label', { for: 'req-registered', class: 'inline' }, (f.registered = h('input', { type: 'checkbox', id: 'req-registered' })), ' 已填外出登记单'))],
      makeup: () => [input('earned_on', '加班日（调休由此而来）*', { type: 'date' })],
      overtime: () => [input('start', '加班开始 *', { type: 'datetime-local' }), input('end', '加班结束 *', { type: 'datetime-local' })],
    }[kind.value])());
  };
  kind.addEventListener('change', draw);
  draw();
  const beijing = (local) => (local ? `${local.length === 16 ? local + ':00' : local}+08:00` : undefined);
  const submit = h('button', { id: 'req-submit', onclick: async () => {
    errors.clear();
    const need = [['日期', day]];
    if (kind.value === 'outing') need.push(['外出自', f.from], ['至', f.to]);
    if (kind.value === 'makeup') need.push(['加班日', f.earned_on]);
    if (kind.value === 'overtime') need.push(['加班开始', f.start], ['加班结束', f.end]);
    if (!errors.required(need)) return;
    const body = { kind: kind.value, day: day.value, reason: reason.value };
    if (f.expected && f.expected.value) body.expected = f.expected.value;
    if (kind.value === 'outing') Object.assign(body, { from: f.from.value, to: f.to.value, registered: f.registered.checked });
    if (kind.value === 'makeup') body.earned_on = f.earned_on.value;
    if (kind.value === 'overtime') Object.assign(body, { start: beijing(f.start.value), end: beijing(f.end.value) });
    try { await api('POST', '/api/v1/attendance/requests', body); toast('申请已提交，等待班长批准'); after(); } catch (x) { errors.server(x, (k) => f[k] || (k === 'day' ? day : null)); }
  } }, '提交申请');
  return h('section', { class: 'panel', id: 'attendance-request' }, h('h2', {}, '请假、外出、调休、加班申请'),
    h('div', { class: 'filters' }, h('div', {}, h('label', { for: 'req-kind' }, '类型'), kind), h('div', {}, h('label', { for: 'req-day' }, '日期 *'), day), h('div', {}, h('label', { for: 'req-reason' }, '事由'), reason)),
    extra, h('div', { class: 'row gap-top' }, submit), err,
    h('p', { class: 'muted small' }, '请假、迟到须事先通知并经批准；外出须经批准并填写外出登记单；调休须提前一天申请；加班须事先申请（02 §考勤）。'));
}

views.attendance = async (_, main) => {
  const q = new URLSearchParams((location.hash.split('?')[1]) || '');
  const month = q.get('month') || new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
  const who = q.get('user') || '';
  const r = await api('GET', `/api/v1/attendance/report?month=${encodeURIComponent(month)}${who ? '&user=' + encodeURIComponent(who) : ''}`);
  const monthIn = h('input', { id: 'att-month', type: 'month', value: month });
  // Whose month: oneself, or (supervisors, admins) a person of the team chosen by name.
  const userIn = h('select', { id: 'att-user', 'aria-label': '查看谁的考勤' }, h('option', { value: '' }, '我自己'),
    me.role === 'agent' ? null : names.people.filter((p) => p.active && p.id !== me.id).map((p) => h('option', { value: p.username, selected: p.username === who }, `${p.display_name}${p.team ? '（' + p.team + '）' : ''}`)));
  const table = h('table', { id: 'attendance' }, h('thead', {}, h('tr', {}, ['日期', '打卡', '状态', '外出', '加班（小时）'].map((t) => h('th', {}, t)))),
    h('tbody', {}, r.days.map((d) => h('tr', { 'data-day': d.day }, h('td', {}, fmtDay(d.day)), h('td', {}, d.clock_in || '—'),
      h('td', {}, h('span', { class: `pill ${(DAY[d.status.status] || ['', ''])[1]}` }, (DAY[d.status.status] || [d.status.status])[0], d.status.minutes ? ` ${d.status.minutes} 分钟` : '')),
      h('td', {}, d.outings.join('、')), h('td', { class: 'num' }, d.overtime_hours || '')))));
  main.append(h('h1', {}, `考勤 · ${r.display_name} · ${Number(r.month.slice(0, 4))}年${Number(r.month.slice(5, 7))}月`),
    h('section', { class: 'panel' }, h('div', { class: 'row' }, h('button', { id: 'clock-in', onclick: async () => {
      try { const d = await api('POST', '/api/v1/attendance/clock-in', {}); toast(`已打卡 ${d.clock_in}`); render(); } catch (e) { toast(e.message); }
    } }, '打卡'), monthIn, userIn, h('button', { class: 'ghost', onclick: () => { location.hash = `#/attendance?month=${monthIn.value}${userIn.value ? '&user=' + encodeURIComponent(userIn.value) : ''}`; } }, '查看')),
    h('p', { class: 'muted small' }, '工作日 9:00 前打卡；未事先通知且未获批准的缺勤为旷工；未经批准外出按旷工处理；加班须提前申请，按整小时计，平日晚上自下班半小时后起算（02 §考勤）。')),
    h('section', { class: 'panel' }, h('p', {}, h('a', { href: `/api/v1/attendance/report.xlsx?month=${encodeURIComponent(month)}${who ? '&user=' + encodeURIComponent(who) : ''}`, download: 'attendance.xlsx' }, '导出 Excel')), h('p', { id: 'att-summary' }, `正常 ${r.on_time} 天 · 迟到 ${r.late} 天 · 请假 ${r.leave} 天 · 旷工 ${r.truant} 天 · 加班 ${r.overtime_hours} 小时 · 调休 ${r.makeup_leaves} 次`), table));
  const lead = me.role !== 'agent';
  const [mine, waiting, grid] = await Promise.all([
    lead ? null : api('GET', '/api/v1/attendance/requests?status=all&limit=50'),
    lead ? api('GET', '/api/v1/attendance/requests?status=pending&limit=100') : null,
    me.role === 'supervisor' ? api('GET', `/api/v1/attendance/team?month=${encodeURIComponent(month)}`) : null]);
  if (!lead) main.append(requestForm(() => render()));
  const requestRow = (x, action) => h('tr', { 'data-request': x.id }, h('td', {}, x.display_name), h('td', {}, REQUEST_KIND[x.kind] || x.kind), h('td', {}, fmtDay(x.day)), h('td', { class: 'small' }, requestDetail(x)),
    h('td', { class: 'small' }, fmtTime(x.requested_at)), h('td', {}, action));
  const head = h('thead', {}, h('tr', {}, ['申请人', '类型', '日期', '内容', '申请时间', '状态'].map((t) => h('th', {}, t))));
  if (mine) main.append(h('section', { class: 'panel', id: 'my-requests' }, h('h2', {}, '我的申请'), mine.length ? h('table', {}, head, h('tbody', {}, mine.map((x) => requestRow(x, x.approved_at ? h('span', { class: 'pill good' }, `已批准 ${fmtTime(x.approved_at)}`) : h('span', { class: 'pill warn' }, '待批准'))))) : h('p', { class: 'muted' }, '暂无申请。')));
  if (waiting) main.append(h('section', { class: 'panel', id: 'approvals' }, h('h2', {}, `待批准的申请（${waiting.length}）`), waiting.length ? h('table', {}, head, h('tbody', {}, waiting.map((x) => requestRow(x,
    h('button', { class: 'small approve', onclick: async () => { try { await api('POST', `/api/v1/attendance/requests/${x.id}/approve`, {}); toast(`已批准 ${x.display_name} 的${REQUEST_KIND[x.kind] || '申请'}`); render(); } catch (e) { toast(e.message); } } }, '批准'))))) : h('p', { class: 'muted' }, '没有待批准的申请。')));
  if (grid) {
    const days = [...new Set(grid.people.flatMap((p) => p.days.map((d) => d[0])))].sort();
    main.append(h('section', { class: 'panel', id: 'team-grid' }, h('h2', {}, `${grid.team} · ${Number(month.slice(5, 7))}月考勤`),
      grid.people.length ? h('table', { class: 'grid-month' }, h('thead', {}, h('tr', {}, h('th', {}, '姓名'), days.map((d) => h('th', { class: 'num', title: fmtDay(d) }, Number(d.slice(8)))), ['正常', '迟到', '请假', '旷工', '加班'].map((t) => h('th', {}, t)))),
        h('tbody', {}, grid.people.map((p) => h('tr', { 'data-user': p.username }, h('td', {}, h('a', { href: `#/attendance?month=${month}&user=${encodeURIComponent(p.username)}` }, p.display_name)),
          days.map((d) => { const st = (p.days.find((x) => x[0] === d) || [d, ''])[1]; const [mark, cls] = DAY_MARK[st] || ['', '']; return h('td', { class: `day ${cls}`, title: `${fmtDay(d)} ${(DAY[st] || [''])[0]}`, 'data-state': st }, mark); }),
          h('td', { class: 'num' }, p.on_time), h('td', { class: 'num' }, p.late), h('td', { class: 'num' }, p.leave), h('td', { class: 'num' }, p.truant), h('td', { class: 'num' }, p.overtime_hours))))) : h('p', { class: 'muted' }, '班组里还没有人。'),
      h('p', { class: 'muted small' }, '✓ 正常 · 迟 迟到 · 假 请假 · 报 已报备缺勤 · 旷 旷工 · 休 休息日')));
  }
};

// ——— settings (admins): mail, teams, holidays ———
const LIMITS = [
  ['max_body_bytes', '请求体最大字节数'], ['max_batch', '每批最多会话数'], ['max_text_chars', '每段文字最多字符数'], ['max_turns', '每个会话最多轮次'],
  ['max_hits_per_turn', '每句最多列出的忌语'], ['max_hits_per_conversation', '每项检查最多列出的证据'],
  ['login_max_failures', '登录失败几次后暂停'], ['login_window_seconds', '统计登录失败的时间窗（秒）'], ['token_days', 'API 令牌默认有效天数'],
];
views.settings = async (_, main) => {
  const [smtp, years, limits, centre, qa, chatwoot] = await Promise.all([api('GET', '/api/v1/settings/smtp'), api('GET', '/api/v1/calendar/years'), api('GET', '/api/v1/settings/limits'), api('GET', '/api/v1/settings/centre'),
    api('GET', '/api/v1/settings/qa'), api('GET', '/api/v1/settings/chatwoot')]);
  const input = (id, value, attrs) => h('input', { id, value: value ?? '', ...attrs });
  const host = input('smtp-host', smtp.host, { size: 18 }), port = input('smtp-port', smtp.port || '', { size: 5 }), from = input('smtp-from', smtp.from, { size: 26 });
  const user = input('smtp-user', smtp.username, { size: 14 }), pass = input('smtp-pass', '', { type: 'password', size: 14, placeholder: smtp.password_set ? '已设置（留空不变）' : '' });
  const tls = h('select', { id: 'smtp-tls' }, [['none', '不加密'], ['starttls', 'STARTTLS（587 端口）'], ['tls', 'TLS（465 端口）']].map(([t, label]) => h('option', { value: t }, label)));
  tls.value = smtp.tls || 'starttls';
  const field = (label, el) => h('div', {}, h('label', { for: el.id }, label), el);
  // A team chosen from the teams in use; what is saved for it is shown, then edited.
  const team = h('select', { id: 'team-name' }, names.teams.length ? names.teams.map((t) => h('option', { value: t }, t)) : h('option', { value: '' }, '（还没有班组：先在账号页给账号分组）'));
  const direct = input('team-direct', '', { size: 22 }), indirect = input('team-indirect', '', { size: 22 }), hours = input('team-hours', '', { size: 24 });
  const teamSaved = h('p', { class: 'muted small', id: 'team-saved' });
  // What is saved for the team; the inputs are filled when a team is chosen
  // (after a save only the summary changes, so unsaved edits stay).
  const loadTeam = async (fill) => {
    if (!team.value) return;
    const [m, hrs] = await Promise.all([api('GET', `/api/v1/teams/${encodeURIComponent(team.value)}/mail`), api('GET', `/api/v1/teams/${encodeURIComponent(team.value)}/hours`)]);
    const periods = hrs.periods.map(([a, b]) => `${a}-${b}`).join(',');
    // (an input typed in before the answer came keeps what was typed)
    if (fill) for (const [el, v] of [[direct, m.direct || ''], [indirect, m.indirect || ''], [hours, periods]]) if (!el.dataset.typed) el.value = v;
    teamSaved.textContent = `已保存：工作时间 ${periods || '（默认）'}；日报收件 ${m.direct || '（未设置）'}${m.indirect ? '，抄送 ' + m.indirect : ''}`;
  };
  for (const el of [direct, indirect, hours]) el.addEventListener('input', () => { el.dataset.typed = '1'; });
  team.addEventListener('change', () => { for (const el of [direct, indirect, hours]) delete el.dataset.typed; loadTeam(true).catch((e) => toast(e.message)); });
  const passMark = input('qa-pass-mark', qa.pass_mark, { size: 4, inputmode: 'numeric' }), window_ = input('qa-window', qa.appeal_window_days, { size: 4, inputmode: 'numeric' });
  const cwUrl = input('cw-url', chatwoot.url, { size: 30, placeholder: 'https://chat.example.com' });
  const cwToken = input('cw-token', '', { type: 'password', size: 20, placeholder: chatwoot.api_token_set ? '已设置（留空不变）' : '' });
  const cwSecret = input('cw-secret', '', { type: 'password', size: 20, placeholder: chatwoot.webhook_secret_set ? '已设置（留空不变）' : '' });
  const year = input('cal-year', new Date().getFullYear() + 1, { size: 6 });
  const text = h('textarea', { class: 'code', id: 'cal-text', spellcheck: 'false', placeholder: 'year = 2027\nsource = "国务院办公厅关于2027年部分节假日安排的通知"\n\n[[holiday]]\nfestival = "new_year"\nname = "元旦"\nfrom = "2027-01-01"\nto = "2027-01-03"\nmakeup_workdays = []' });
  const out = h('div', { id: 'settings-result' });
  const run = (f) => async () => { out.replaceChildren(); try { await f(); toast('已保存'); } catch (e) { out.append(h('pre', { class: 'err' }, e.message)); } };
  const centreName = input('centre-name', centre.name, { size: 24, placeholder: '如：华业售后服务中心' });
  main.append(h('h1', {}, '设置'),
    h('section', { class: 'panel' }, h('h2', {}, '中心名称'),
      h('div', { class: 'filters' }, field('坐席报给客户的中心名称', centreName), h('button', { id: 'save-centre', onclick: run(() => api('PUT', '/api/v1/settings/centre', { name: centreName.value })) }, '保存')),
      h('p', { class: 'muted small' }, '标准话术中的“公司/中心”与“工号”：中心名称取自这里，工号取自各坐席账号（账号页设置）。')),
    h('section', { class: 'panel' }, h('h2', {}, '邮件服务器（每日接听电话记录表的发送）'),
      h('div', { class: 'filters' }, field('服务器', host), field('端口', port), field('加密', tls), field('用户名', user), field('密码', pass), field('发件人', from),
        h('button', { onclick: run(async () => {
          const body = { host: host.value, port: Number(port.value) || 0, tls: tls.value, username: user.value, from: from.value };
          if (pass.value) body.password = pass.value;
          await api('PUT', '/api/v1/settings/smtp', body);
        }) }, '保存'))),
    h('section', { class: 'panel', id: 'qa-settings' }, h('h2', {}, '质检'),
      h('div', { class: 'filters' }, field('合格分数线（分）', passMark), field('申诉期（质检后几天内）', window_),
        h('button', { id: 'save-qa', onclick: run(async () => { const r = await api('PUT', '/api/v1/settings/qa', { pass_mark: Number(passMark.value), appeal_window_days: Number(window_.value) }); if (names) names.qa = r; }) }, '保存')),
      h('p', { class: 'muted small' }, '合格率按“得分不低于合格分数线”计算；超过申诉期的评分卡不能再申诉。')),
    h('section', { class: 'panel', id: 'chatwoot-settings' }, h('h2', {}, 'Chatwoot 接入'),
      h('div', { class: 'filters' }, field('Chatwoot 地址', cwUrl), field('访问令牌（用于回写备注）', cwToken), field('Webhook 密钥', cwSecret),
        h('button', { id: 'save-chatwoot', onclick: run(async () => {
          const body = { url: cwUrl.value };
          if (cwToken.value) body.api_token = cwToken.value;
          if (cwSecret.value) body.webhook_secret = cwSecret.value;
          await api('PUT', '/api/v1/settings/chatwoot', body);
        }) }, '保存')),
      h('p', { class: 'muted small' }, `在 Chatwoot 的“设置 → 集成 → Webhook”中添加 ${location.origin}/api/v1/integrations/chatwoot（勾选“会话已解决”），会话结束时自动质检并回写备注。`)),
    h('section', { class: 'panel' }, h('h2', {}, '班组'),
      h('div', { class: 'filters' }, field('班组', team), field('直接主管邮箱（收件）', direct), field('间接主管邮箱（抄送）', indirect),
        h('button', { onclick: run(async () => { await api('PUT', `/api/v1/teams/${encodeURIComponent(team.value)}/mail`, { direct: direct.value, indirect: indirect.value }); await loadTeam(); }) }, '保存收件人')),
      h('div', { class: 'filters gap-top' }, field('工作时间（时段，逗号分隔）', hours),
        h('button', { onclick: run(async () => { await api('PUT', `/api/v1/teams/${encodeURIComponent(team.value)}/hours`, { periods: hours.value.split(',').map((p) => p.trim().split('-')) }); await loadTeam(); }) }, '保存工作时间')), teamSaved),
    h('section', { class: 'panel' }, h('h2', {}, '限制与登录保护'),
      h('div', { class: 'filters' }, LIMITS.map(([k, label]) => field(label, input(`limit-${k}`, limits[k], { size: 9, inputmode: 'numeric' }))),
        field('信任反向代理的 X-Forwarded-For', h('select', { id: 'limit-trust_forwarded_for' }, h('option', { value: 'false', selected: !limits.trust_forwarded_for }, '否'), h('option', { value: 'true', selected: limits.trust_forwarded_for }, '是'))),
        h('button', { id: 'save-limits', onclick: run(async () => {
          const body = {};
          for (const [k] of LIMITS) body[k] = Number(document.getElementById(`limit-${k}`).value);
          body.trust_forwarded_for = document.getElementById('limit-trust_forwarded_for').value === 'true';
          await api('PUT', '/api/v1/settings/limits', body);
        }) }, '保存限制')),
      h('p', { class: 'muted small' }, '同一用户名或同一地址在时间窗内登录失败达到次数后，再次登录（即使密码正确）会被拒绝，直到时间窗过去。只有 kefu 前面有自己的反向代理时才信任 X-Forwarded-For。')),
    h('section', { class: 'panel', id: 'holidays' }, h('h2', {}, '法定节假日'), h('p', { class: 'muted' }, '已有：', h('span', { id: 'cal-years' }, years.years.join('、')), ' 年。国务院公布新一年的安排后在此导入。尚无安排的年份，时限暂按周末和法定节日推算并标注“暂定”（不计调休），导入后自动重算。'),
      h('div', { class: 'row' }, field('年份', year)), text,
      h('div', { class: 'row gap-top' }, h('button', { id: 'cal-import', onclick: run(async () => { const r = await api('PUT', `/api/v1/calendar/years/${encodeURIComponent(year.value)}`, { text: text.value }); document.getElementById('cal-years').textContent = r.years.join('、'); out.append(h('p', { id: 'cal-recomputed' }, `已导入；重算暂定时限 ${r.recomputed || 0} 项。`)); drawBanner(); }) }, '校验并导入'))),
    out);
  if (location.hash.includes('section=holidays')) document.getElementById('holidays').scrollIntoView();
  loadTeam(true).catch(() => {});
};
