// End-to-end test of the kefu console in Debian's headless Chromium, against
// a running `kefu serve` on loopback: an agent logs in, types a forbidden
// phrase in the workspace and sees it underlined, gets the standard reply for
// a customer message, opens a scorecard and files an appeal; a supervisor
// overturns it and the score follows, then changes their password (a weak one
// refused with the reason); an admin creates and revokes an API token, and is
// warned of a missing holiday schedule (deadlines meanwhile 暂定).
// Screenshots go to OUT_DIR.
//
// usage: node console-e2e.mjs BASE_URL OUT_DIR   (env KEFU_ADMIN_PASSWORD, QA_DEV = path of qa_dev.jsonl)

import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const [base, out] = process.argv.slice(2);
const adminPassword = process.env.KEFU_ADMIN_PASSWORD;
assert.ok(base && out && adminPassword, 'usage: KEFU_ADMIN_PASSWORD=… QA_DEV=… node console-e2e.mjs BASE_URL OUT_DIR');
mkdirSync(out, { recursive: true });

// ——— set-up through the API (what an admin and the recording system would do) ———
async function login(username, password) {
  const r = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  assert.equal(r.status, 200, `login ${username}`);
  return r.headers.get('set-cookie').split(';')[0];
}
async function call(cookie, method, path, body) {
  const r = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', cookie }, body: body && JSON.stringify(body) });
  const data = await r.json();
  assert.ok(r.ok, `${method} ${path}: ${JSON.stringify(data)}`);
  return data;
}
const admin = await login('admin', adminPassword);
await call(admin, 'POST', '/api/v1/users', { username: 'zhang.min', display_name: '张敏', role: 'agent', team: '一组', agent_id: 'A0731', password: 'zhangmin-2026' });
await call(admin, 'POST', '/api/v1/users', { username: 'wang.lead', display_name: '王班长', role: 'supervisor', team: '一组', password: 'wanglead-2026' });
const conversations = readFileSync(process.env.QA_DEV, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l).conversation);
// One more with markup in the transcript: it must show as text.
conversations.push({ ...conversations[0], id: 'xss-1', turns: [...conversations[0].turns.slice(0, 1), { speaker: 'customer', start: 14, end: 18, text: '<img src=x onerror="window.pwned=1">我家柜门坏了' }, ...conversations[0].turns.slice(2)] });

// ——— the browser ———
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--lang=zh-CN', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const results = {};
// Every page is said for people: no check or rule id (a.b), no ISO time, no
// parser message on it — asserted on the page's text before each screenshot.
async function shot(page, name, full = true) {
  // (Log-in names, which admins type and may contain dots, and the text of
  // a rulebook file shown as it is being changed (its diff) are the ids a
  // page may show: they are marked .login-name and .code-view.)
  const text = await page.evaluate(() => {
    const hidden = [...document.querySelectorAll('.login-name, .code-view')];
    for (const el of hidden) el.dataset.shown = el.style.display, el.style.display = 'none';
    const t = document.body.innerText;
    for (const el of hidden) el.style.display = el.dataset.shown;
    return t;
  });
  const plain = text.replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, '');
  const id = plain.match(/[a-z_]+\.[a-z_]+/);
  assert.equal(id, null, `${name}: an id on the page: ${id && plain.slice(Math.max(0, id.index - 40), id.index + 40)}`);
  const iso = plain.match(/T\d\d:\d\d:\d\d/);
  assert.equal(iso, null, `${name}: an ISO time on the page: ${iso && plain.slice(Math.max(0, iso.index - 30), iso.index + 30)}`);
  assert.ok(!/\bnull\b/.test(plain), `${name}: a stray "null" on the page`);
  for (const english of ['expected', 'invalid type', 'missing field', 'at line', 'Failed to', 'undefined', 'NaN', '[object Object]']) {
    assert.ok(!plain.includes(english), `${name}: "${english}" on the page`);
  }
  shots.push(name);
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: full });
}
const shots = [];
async function cjkFont(page, selector) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
  const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
  assert.ok(nodeId, `element ${selector}`);
  const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
  assert.ok(fonts.some((f) => /CJK|Han Sans/i.test(f.familyName) && f.glyphCount > 0), `${selector} drawn with a CJK font: ${JSON.stringify(fonts)}`);
  return fonts.map((f) => f.familyName);
}
try {
  // First log-in of a new centre, nothing stored yet: the scorecards page
  // says how to get data in, with sample files that download.
  const firstCtx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const first = await firstCtx.newPage();
  await first.goto(`${base}/`);
  await first.waitForSelector('#username');
  await shot(first, 'login');
  await first.fill('#username', 'admin');
  await first.fill('#password', adminPassword);
  await first.click('#login');
  await first.waitForSelector('#empty-state');
  assert.ok((await first.textContent('#empty-state')).includes('Chatwoot'), 'the empty state names every way in');
  for (const href of ['/console/sample.jsonl', '/console/sample.xlsx']) {
    const r = await fetch(`${base}${href}`);
    assert.equal(r.status, 200, href);
    assert.ok((r.headers.get('content-disposition') || '').includes('attachment'), href);
  }
  await shot(first, 'empty-state');
  await firstCtx.close();
  const stored = await call(admin, 'POST', '/api/v1/conversations', conversations);
  assert.equal(stored.errors, 0);

  // Agent: log in.
  const agentCtx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await agentCtx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${base}/`);
  await page.fill('#username', 'zhang.min');
  await page.fill('#password', 'wrong-password');
  await page.click('#login');
  await page.waitForSelector('text=用户名或密码错误');
  await page.fill('#password', 'zhangmin-2026');
  await page.click('#login');
  await page.waitForSelector('#draft');
  errors.length = 0; // the 401s of the page before log-in and of the wrong password are expected
  results.loginFonts = await cjkFont(page, 'h1');

  // Workspace: a customer message → its scenario and standard reply.
  await page.fill('#customer', '我家冰箱不制冷了，能派人来修吗？');
  await page.press('#customer', 'Enter');
  await page.waitForSelector('#reply-text');
  results.reply = await page.textContent('#reply-text');
  assert.ok(results.reply.length > 5, 'a standard reply is shown');

  // An unsure customer message: the likely scenarios are offered to choose from.
  await page.fill('#customer', '上次说的那个事情');
  await page.press('#customer', 'Enter');
  await page.waitForSelector('#choose-scenario button.choice');
  const choice = await page.getAttribute('#choose-scenario button.choice >> nth=0', 'title');
  await page.click('#choose-scenario button.choice >> nth=0');
  assert.equal(await page.inputValue('#draft'), choice, 'the chosen reply goes into the draft');
  await page.fill('#draft', '');

  // Type a forbidden phrase keystroke by keystroke: it is underlined live.
  await page.click('#draft');
  await page.keyboard.type('您好，这事儿不归我管，您找别的部门吧', { delay: 15 });
  await page.waitForSelector('.composer .mirror mark');
  results.underlined = await page.textContent('.composer .mirror mark');
  assert.equal(results.underlined, '不归我管');
  const decoration = await page.$eval('.composer .mirror mark', (el) => getComputedStyle(el).textDecorationLine + ' ' + getComputedStyle(el).textDecorationStyle);
  assert.match(decoration, /underline wavy/);
  await page.waitForSelector('.violation .sugg');
  results.suggestion = await page.textContent('.violation .sugg');
  results.workspaceFonts = await cjkFont(page, '.violation');
  await shot(page, 'workspace');
  // The agent marks a hit as a false alarm (stored for review and export).
  await page.click('.violation button.false-alarm >> nth=0');
  await page.waitForSelector('text=已记为误报');
  // One click puts the suggestion in place of the flagged words.
  const flagged = await page.textContent('.violation b >> nth=0');
  await page.click('.violation button.apply-suggestion >> nth=0');
  await page.waitForFunction((f) => !document.querySelector('#draft').value.includes(f.replace(/[“”]/g, '')), flagged);
  results.applied = await page.inputValue('#draft');
  // A reply with a blank (××) asks for it before it can be sent.
  await page.fill('#draft', '这个问题由××部门负责，我现在帮您转接');
  await page.click('#send');
  await page.waitForSelector('#blanks input.blank');
  assert.equal(await page.$$eval('#chat .bubble.agent', (b) => b.length), 0, 'nothing sent with a blank');
  await shot(page, 'workspace-blank');
  await page.fill('#blanks input.blank', '售后服务');
  await page.click('#fill-blanks');
  assert.equal(await page.inputValue('#draft'), '这个问题由售后服务部门负责，我现在帮您转接');
  // A running hold: 等待 00:0x beside the button, gone when it ends.
  await page.click('#hold');
  await page.waitForFunction(() => /^等待 00:0\d/.test(document.getElementById('hold-timer').textContent));
  results.holdTimer = await page.textContent('#hold-timer');
  await page.click('#hold');
  await page.waitForSelector('#hold-timer[hidden]', { state: 'attached' });
  // Using the standard reply clears the underline.
  await page.click('#use-reply');
  await page.waitForFunction(() => document.querySelector('#draft').dataset.violations === '0');

  // Live assist loses its connection, as when the server restarts: the
  // workspace says so, a draft sent meanwhile is called unchecked, and once
  // the connection is back by itself the draft is checked again.
  await page.waitForSelector('#assist-state[data-state="open"]');
  let assistDown = true;
  await page.routeWebSocket(/\/api\/v1\/assist$/, (ws) => { if (assistDown) ws.close(); else ws.connectToServer(); });
  await page.evaluate(() => window.kefuAssist.drop());
  await page.waitForSelector('#assist-state[data-state="closed"]');
  results.disconnected = await page.textContent('#assist-state');
  await page.fill('#draft', '这事儿不归我管');
  await page.waitForSelector('#unchecked');
  const dialog = new Promise((ok) => page.once('dialog', (d) => { ok(d.message()); d.dismiss(); }));
  await page.click('#send');
  results.uncheckedWarning = await dialog;
  assert.ok(results.uncheckedWarning.includes('还没有经过忌语检查'), results.uncheckedWarning);
  assert.equal(await page.inputValue('#draft'), '这事儿不归我管', 'nothing was sent');
  await shot(page, 'assist-disconnected');
  assistDown = false;
  await page.waitForSelector('#assist-state[data-state="open"]', { timeout: 20000 });
  await page.waitForSelector('.composer .mirror mark');
  assert.equal(await page.textContent('.composer .mirror mark'), '不归我管', 'the draft is checked again on reconnecting');
  results.reconnected = await page.textContent('#assist-state');
  await page.fill('#draft', '');

  // A silent call: each step after its pause (step 2 at 3 s, step 3 only 3 s
  // later), an end button while it runs, and the customer speaking ends it.
  await page.click('#silence');
  await page.waitForSelector('#silence-end:not([hidden])');
  await page.waitForSelector('#prompts .prompt[data-procedure="silent_call"][data-step="2"]', { timeout: 10000 });
  const stepsSoFar = await page.$$eval('#prompts .prompt[data-procedure="silent_call"]', (ps) => ps.map((p) => p.dataset.step));
  assert.deepEqual(stepsSoFar, ['2', '0'], `step 3 does not arrive with step 2: ${stepsSoFar}`);
  await shot(page, 'silent-call');
  await page.fill('#customer', '喂，能听见，刚才信号不好');
  await page.press('#customer', 'Enter');
  await page.waitForSelector('#prompts .prompt[data-reason="customer_spoke"]');
  await page.waitForSelector('#silence:not([hidden])');
  await page.waitForTimeout(3500);
  assert.equal(await page.$$eval('#prompts .prompt[data-step="3"]', (ps) => ps.length), 0, 'no step after the customer spoke');
  await page.click('#silence');
  await page.waitForSelector('#prompts .prompt[data-procedure="silent_call"][data-step="0"] >> nth=0');
  await page.click('#silence-end');
  await page.waitForSelector('#prompts .prompt[data-reason="ended"]');
  results.silentCall = 'ended by the customer and by the button';

  // The workspace at a phone's width: one column, nothing wider than the screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', storageState: await agentCtx.storageState() });
  const small = await phone.newPage();
  await small.goto(`${base}/#/workspace`);
  await small.waitForSelector('#draft');
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(overflow <= 391, `the workspace fits 390 px (page is ${overflow} px wide)`);
  await shot(small, 'workspace-390px');
  await phone.close();

  // Scorecards: the agent sees their own; open one and appeal a failed check.
  await page.click('text=质检评分');
  await page.waitForSelector('#scorecards tr[data-id="dev-late-2"]');
  const rows = await page.$$eval('#scorecards tbody tr', (trs) => trs.length);
  assert.equal(rows, conversations.length, 'the agent sees all of their own scorecards');
  await shot(page, 'scorecards');
  // The markup in a transcript is text, not HTML.
  await page.click('#scorecards tr[data-id="xss-1"]');
  await page.waitForSelector('#transcript');
  assert.ok((await page.textContent('#transcript')).includes('<img src=x onerror="window.pwned=1">'));
  assert.equal(await page.evaluate(() => window.pwned), undefined, 'no script ran');
  // A scorecard's evidence can be marked as a false alarm too.
  await page.goto(`${base}/#/conversation/dev-forbidden-3`);
  await page.waitForSelector('#transcript button.false-alarm');
  assert.ok(!(await page.textContent('main')).includes('null'), 'no stray "null" on the conversation page');
  await page.click('#transcript button.false-alarm >> nth=0');
  await page.waitForSelector('text=已记为误报');
  // …and an agent turn nothing flagged as a missed violation: the category
  // is required and chosen by name.
  await page.click('#transcript button.missed >> nth=0');
  await page.waitForSelector('#transcript .missed-form select');
  await page.click('#transcript .missed-form button[type="submit"]');
  await page.waitForSelector('#transcript .missed-form select.invalid');
  await page.selectOption('#transcript .missed-form select', 'blame');
  assert.equal(await page.$eval('#transcript .missed-form select', (s) => s.selectedOptions[0].textContent), '责备语');
  await page.fill('#transcript .missed-form input[name="note"]', '暗指客户操作不当');
  await shot(page, 'missed-form');
  await page.click('#transcript .missed-form button[type="submit"]');
  await page.waitForSelector('text=已记为漏报');
  await page.goto(`${base}/#/scorecards`);
  await page.click('#scorecards tr[data-id="dev-late-2"]');
  await page.waitForSelector('#transcript');
  await page.waitForSelector('h1 >> text=93');
  await page.click('button.appeal[data-check="opening.late_answer_apology"]');
  await page.fill('#reason', '振铃次数记录有误，录音显示两声内接起');
  await page.click('#submit-appeal');
  await page.waitForSelector('#appeals >> text=待处理');
  await shot(page, 'appeal-filed');

  // The service desk: a repair record from the call in one step, then by hand; its deadlines.
  // Submitted empty first: every required field is named and marked at once.
  await page.click('text=服务台');
  await page.waitForSelector('#record-kind');
  await page.selectOption('#record-kind', 'repair');
  await page.click('#create-record');
  await page.waitForFunction(() => document.getElementById('record-error').textContent.includes('4 项必填'));
  results.missingFields = await page.textContent('#record-error');
  assert.equal(await page.$$eval('#record-fields .invalid', (els) => els.length), 4, results.missingFields);
  assert.ok(['客户', '联系电话', '地址', '报修内容'].every((label) => results.missingFields.includes(label)), results.missingFields);
  await shot(page, 'record-missing-fields');
  await page.goto(`${base}/#/conversation/dev-late-2`);
  await page.waitForSelector('#make-repair');
  await page.click('#make-repair');
  await page.waitForSelector('#field-description');
  assert.ok((await page.inputValue('#field-description')).includes('柜门'), 'prefilled with what the customer said');
  await page.fill('#field-customer', '王先生');
  await page.fill('#field-contact', '13812345678');
  await page.fill('#field-address', '朝阳区XX小区3号楼');
  await page.fill('#field-promised_reply_hours', '4');
  await page.click('#create-record');
  await page.waitForSelector('#obligations');
  const owed = await page.textContent('#obligations');
  assert.ok(owed.includes('发送主管') && owed.includes('按承诺回复客户') && owed.includes('《客服中心客服部日常工作行为规范》'), owed);
  assert.ok((await page.textContent('main')).includes('来自会话 dev-late-2'));
  assert.equal(await page.getAttribute('#record-conversation', 'href'), '#/conversation/dev-late-2', '来自会话 is a link');
  assert.ok((await page.textContent('#record-history')).includes('创建'), 'events by name');
  await shot(page, 'record');
  await page.click('#act-forwarded');
  await page.waitForSelector('text=已发送主管');
  await page.click('#act-closed');
  await page.waitForSelector('text=不能关闭');
  // That 409 was the point: closing while the reply is still owed is refused.
  errors.splice(0, errors.length, ...errors.filter((e) => !e.includes('409')));
  await page.click('text=时限');
  await page.waitForSelector('#deadlines');
  results.deadlines = await page.$$eval('#deadlines tbody tr', (trs) => trs.length);
  assert.ok(results.deadlines >= 1 && (await page.textContent('#deadlines')).includes('按承诺回复客户'), 'the open obligation (the reply still owed) is listed');
  await shot(page, 'deadlines');
  // Two pages at once: a slow 质检评分 search, then 时限 before it answers.
  // The late answer must not be drawn under the page the user went to.
  let delayed = 0;
  await page.route('**/api/v1/conversations?*', async (r) => { delayed += 1; await new Promise((ok) => setTimeout(ok, 1500)); await r.continue(); });
  await page.click('text=质检评分');
  await page.click('text=时限');
  await page.waitForSelector('#deadlines');
  await page.waitForTimeout(2500);
  await page.unroute('**/api/v1/conversations?*');
  const headings = await page.$$eval('#main h1', (hs) => hs.map((x) => x.textContent));
  assert.ok(delayed >= 1, 'the search was slowed');
  assert.deepEqual(headings, ['时限'], `only the page left open is drawn: ${headings}`);
  results.stalePageDropped = headings;
  // The daily call log: a date (no future one), entries prefilled from the
  // day's calls, edited, filed once; a second one for the day is refused.
  await page.click('text=服务台');
  await page.waitForSelector('#record-kind');
  await page.selectOption('#record-kind', 'call_log');
  await page.waitForSelector('#field-date');
  assert.ok(await page.getAttribute('#field-date', 'max'), 'no future date can be picked');
  const callDay = conversations[0].started_at.slice(0, 10);
  await page.fill('#field-date', callDay);
  const dayShown = `${Number(callDay.slice(5, 7))}月${Number(callDay.slice(8))}日`;
  await page.waitForFunction((d) => document.getElementById('log-note').textContent.includes(`按${d}`), dayShown);
  results.logEntries = await page.$$eval('#entries tr.entry', (trs) => trs.length);
  assert.ok(results.logEntries >= 1, 'entries prefilled from the day\'s calls');
  await page.fill('#entries tr.entry >> nth=0 >> input[data-key="caller"]', '王先生');
  await page.fill('#entries tr.entry >> nth=0 >> input[data-key="handling"]', '已转维修部');
  await shot(page, 'call-log-form');
  await page.click('#create-record');
  await page.waitForSelector('#save-entries');
  assert.equal(await page.inputValue('#entries tr.entry >> nth=0 >> input[data-key="handling"]'), '已转维修部');
  await page.fill('#entries tr.entry >> nth=0 >> input[data-key="summary"]', '冰箱不制冷，已派单上门');
  await page.click('#save-entries');
  await page.waitForSelector('text=来电记录已保存');
  await page.waitForFunction(() => document.querySelector('#entries tr.entry input[data-key="summary"]').value === '冰箱不制冷，已派单上门');
  await shot(page, 'call-log');
  await page.click('text=服务台');
  await page.waitForSelector('#record-kind');
  await page.selectOption('#record-kind', 'call_log');
  await page.fill('#field-date', callDay);
  await page.waitForFunction(() => document.getElementById('log-note').textContent.includes('已填过'));
  await page.click('#create-record');
  await page.waitForSelector('text=已存在');
  errors.splice(0, errors.length, ...errors.filter((e) => !e.includes('409')));

  // Attendance: clock in; today is in the month's table.
  await page.click('text=考勤');
  await page.waitForSelector('#attendance');
  await page.click('#clock-in');
  await page.waitForSelector('text=已打卡');
  await page.waitForSelector('#att-summary');
  // A request in the console: an outing without its times is refused on the
  // form; a leave notice goes to the supervisor.
  await page.selectOption('#req-kind', 'outing');
  await page.click('#req-submit');
  await page.waitForFunction(() => document.getElementById('request-error').textContent.includes('外出自'));
  await page.selectOption('#req-kind', 'notice');
  await page.fill('#req-reason', '孩子发烧，上午请假');
  await page.click('#req-submit');
  await page.waitForSelector('#my-requests >> text=待批准');
  await shot(page, 'attendance');

  // Paging: with more scorecards than a page holds, the range is shown and
  // the next page reaches the rest.
  const extra = Array.from({ length: 55 }, (_, i) => ({ ...conversations[0], id: `page-${String(i).padStart(2, '0')}` }));
  assert.equal((await call(admin, 'POST', '/api/v1/conversations', extra)).errors, 0);
  const all = conversations.length + extra.length;
  await page.click('text=质检评分');
  await page.waitForSelector('#scorecards-pager');
  assert.equal(await page.textContent('#scorecards-pager .range'), `第 1–50 条 / 共 ${all} 条`);
  assert.equal(await page.$$eval('#scorecards tbody tr', (trs) => trs.length), 50);
  await shot(page, 'scorecards-paged');
  await page.click('#scorecards-pager .next');
  await page.waitForFunction((n) => document.querySelector('#scorecards-pager .range')?.textContent === `第 51–${n} 条 / 共 ${n} 条`, all);
  assert.equal(await page.$$eval('#scorecards tbody tr', (trs) => trs.length), all - 50);
  assert.ok(await page.$eval('#scorecards-pager .next', (b) => b.disabled), 'no page after the last');
  results.paged = all;

  // Supervisor: overturn it; the score follows.
  const leadCtx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const lead = await leadCtx.newPage();
  lead.on('pageerror', (e) => errors.push(String(e)));
  await lead.goto(`${base}/`);
  await lead.fill('#username', 'wang.lead');
  await lead.fill('#password', 'wanglead-2026');
  await lead.click('#login');
  await lead.waitForSelector('#scorecards');
  await shot(lead, 'qa-charts');
  // Find things: the check picker by name, a reversed range refused on the
  // form, sorting by score, and a chart bar filtering the list.
  await lead.selectOption('#check', { label: '超过三声接听致歉' });
  await lead.click('form.filters button[type="submit"]');
  await lead.waitForFunction(() => location.hash.includes('check=opening.late_answer_apology'));
  await lead.waitForSelector('#scorecards tr[data-id="dev-late-2"]');
  results.byCheckPicker = await lead.$$eval('#scorecards tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
  await lead.fill('#min_score', '90');
  await lead.fill('#max_score', '10');
  await lead.click('form.filters button[type="submit"]');
  await lead.waitForFunction(() => document.getElementById('filter-error').textContent.includes('最低分高于最高分'));
  assert.equal(await lead.$$eval('form.filters .invalid', (els) => els.length), 2);
  await shot(lead, 'filter-range-refused');
  await lead.goto(`${base}/#/scorecards`);
  await lead.waitForSelector('#scorecards th.sortable');
  await lead.click('#scorecards th >> text=得分');
  await lead.waitForFunction(() => location.hash.includes('sort=score'));
  await lead.waitForSelector('#scorecards th.sortable.on');
  const sortedScores = await lead.$$eval('#scorecards tbody td.num .score', (els) => els.map((e) => Number(e.textContent)));
  assert.deepEqual(sortedScores, [...sortedScores].sort((a, b) => a - b), `lowest first: ${sortedScores}`);
  await lead.click('svg.chart g.bar.click >> nth=0');
  await lead.waitForFunction(() => /check=/.test(location.hash));
  await lead.waitForSelector('#scorecards');
  results.chartFilter = await lead.evaluate(() => decodeURIComponent(location.hash));
  await shot(lead, 'scorecards-filtered');
  await lead.click('text=申诉');
  await lead.waitForSelector('button.overturn');
  await lead.click('button.overturn');
  await lead.waitForSelector('text=已改判');
  await lead.goto(`${base}/#/conversation/dev-late-2`);
  await lead.waitForSelector('h1 >> text=100');
  await shot(lead, 'appeal-overturned');
  // Attendance: the request waits for the supervisor, who approves it; the team's month as a grid.
  await lead.goto(`${base}/#/attendance`);
  await lead.waitForSelector('#approvals button.approve');
  await lead.click('#approvals button.approve');
  await lead.waitForSelector('text=已批准');
  await lead.waitForSelector('#team-grid tr[data-user="zhang.min"]');
  await shot(lead, 'attendance-team');
  // A record edited and handed on after creation: the supervisor names the
  // 相关主管 from the accounts and corrects the form; both are in its history.
  await lead.goto(`${base}/#/records`);
  await lead.click('#records tbody tr:has-text("客户报修记录表") >> nth=0');
  await lead.waitForSelector('#record-edit');
  await lead.selectOption('#edit-supervisor', { label: '王班长' });
  await lead.fill('#edit-description', '厨房柜门脱落，需上门维修（已核实）');
  await lead.click('#save-record');
  await lead.waitForSelector('#record-history li[data-action="reassigned"]');
  assert.ok((await lead.textContent('#record-history')).includes('相关主管'), 'the change is said');
  await lead.waitForSelector('#record-history li[data-action="edited"]');
  await shot(lead, 'record-edited');
  // The conversation page shows the call's events where they happened.
  await lead.goto(`${base}/#/conversation/dev-hold-4`);
  await lead.waitForSelector('#transcript li.event[data-event="hold"]');
  await shot(lead, 'conversation-events');
  // Appeals in tabs: the decided one under 已处理, with who decided and when.
  await lead.goto(`${base}/#/appeals?tab=decided`);
  await lead.waitForSelector('.appeal-card[data-status="overturned"]');
  assert.ok((await lead.textContent('.appeal-card')).includes('王班长 于'), 'who decided and when');
  await shot(lead, 'appeals-decided');
  // 合格率 at the pass mark, and the scorecards of the current filter as Excel.
  await lead.goto(`${base}/#/scorecards?check=language.forbidden`);
  await lead.waitForSelector('#pass-rate');
  assert.ok((await lead.textContent('#pass-rate')).includes('80 分及以上'));
  const href = await lead.getAttribute('#export-scorecards', 'href');
  assert.ok(href.includes('check=language.forbidden'), `the export keeps the filter: ${href}`);
  const exported = await lead.evaluate(async (u) => { const r = await fetch(u); return [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength]; }, href);
  assert.deepEqual(exported.slice(0, 2), [200, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']);
  assert.ok(exported[2] > 1000, 'a workbook');
  // The agent hears of the decision: the bell counts it, the notice leads to the conversation.
  await page.goto(`${base}/#/workspace`);
  // (two: the appeal decided, and the leave approved)
  await page.waitForFunction(() => document.getElementById('bell-count')?.textContent === '2' && !document.getElementById('bell-count').hidden);
  await page.click('#bell');
  await page.waitForSelector('#notification-list li.unread[data-kind="appeal"]');
  await page.waitForSelector('#notification-list li.unread[data-kind="attendance"]');
  await shot(page, 'notifications');
  await page.click('#notification-list li.unread[data-kind="appeal"] a');
  await page.waitForSelector('#transcript');
  assert.ok(page.url().endsWith('#/conversation/dev-late-2'), page.url());
  await page.waitForFunction(() => document.getElementById('bell-count').textContent === '1');

  // Admin: the rulebook with sources, and a sentence tried against it.
  const adminCtx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const ad = await adminCtx.newPage();
  await ad.goto(`${base}/`);
  await ad.fill('#username', 'admin');
  await ad.fill('#password', adminPassword);
  await ad.click('#login');
  await ad.waitForSelector('#scorecards');
  // A missing holiday schedule: admins are warned on every page, with a link
  // to the import form; a record whose deadline reaches that year is stored
  // with a provisional (暂定) deadline.
  const years = await call(admin, 'GET', '/api/v1/calendar/years');
  if (years.warning) {
    await ad.waitForSelector('#calendar-warning');
    assert.ok((await ad.textContent('#banner')).includes(String(years.missing)), 'the banner names the year');
    const y = years.missing;
    await call(admin, 'POST', '/api/v1/records', { kind: 'walkin_complaint', fields: { customer: '周先生', description: '到店投诉安装质量' }, received_at: `${y - 1}-12-30T10:00:00+08:00`, owner: 'zhang.min' });
    await ad.click('text=时限');
    await ad.waitForSelector('#deadlines .provisional');
    results.provisionalTitle = await ad.getAttribute('#deadlines .provisional', 'title');
    assert.ok(results.provisionalTitle.includes(`${y} 年`), results.provisionalTitle);
    await shot(ad, 'calendar-warning');
    await ad.click('#calendar-import-link');
    await ad.waitForSelector('#holidays #cal-text');
  }
  await ad.click('text=规则库');
  await ad.waitForSelector('#rules');
  await ad.fill('#try', '你听不懂人话吗');
  await ad.press('#try', 'Enter');
  await ad.waitForSelector('#try-result .violation');
  await shot(ad, 'rulebook', false);
  // A phrase added to a rule from a form: the change shown, then saved as a
  // new version; the history lists it and an earlier version is restored.
  await ad.click('tr[data-rule="shirk.busy"] button.add-to-rule');
  await ad.selectOption('tr[data-rule="shirk.busy"] select.add-field', 'bad');
  await ad.fill('tr[data-rule="shirk.busy"] input.add-text', '我正忙着呢，等等吧');
  await ad.click('tr[data-rule="shirk.busy"] button.preview-addition');
  await ad.waitForSelector('#diff tr.add');
  assert.ok((await ad.textContent('#diff tr.add')).includes('我正忙着呢，等等吧'));
  await shot(ad, 'rulebook-addition');
  await ad.click('button.confirm-addition');
  await ad.waitForSelector('#versions tr[data-version="2"] >> text=使用中');
  await ad.waitForSelector('#versions tr[data-version="1"] button.restore');
  ad.once('dialog', (d) => d.accept());
  await ad.click('#versions tr[data-version="1"] button.restore');
  await ad.waitForSelector('#versions tr[data-version="3"] >> text=使用中');
  assert.ok((await ad.textContent('#versions tr[data-version="3"]')).includes('回滚到 v1'));
  await shot(ad, 'rulebook-versions');
  // A file edited by hand: line numbers beside it, the diff before it is saved.
  await ad.click('#rulebook-files a >> text=场景');
  await ad.waitForSelector('#rulebook-text');
  assert.ok((await ad.textContent('.editor .gutter')).startsWith('1\n2\n3'), 'line numbers');
  await ad.evaluate(() => { const t = document.getElementById('rulebook-text'); t.value = t.value + '\n# 质检组 12 月复核：场景无改动\n'; t.dispatchEvent(new Event('input')); });
  await ad.click('#save-rulebook');
  await ad.waitForSelector('#diff tr.add');
  await shot(ad, 'rulebook-edit-diff');
  await ad.click('#confirm-save');
  await ad.waitForSelector('#versions tr[data-version="4"] >> text=使用中');
  await ad.waitForSelector('#feedback td');
  assert.ok((await ad.textContent('#feedback')).includes('误报'), 'the false alarm is in the review list');
  assert.ok((await ad.textContent('#feedback')).includes('漏报'), 'the missed violation is in the review list');
  // Settings: a year without holiday data is refused on screen; importing it fixes that.
  await ad.click('text=设置');
  await ad.waitForSelector('#cal-text');
  await ad.fill('#cal-year', '2031');
  await ad.fill('#cal-text', 'year = 2031\n[[holiday]]\nfestival = "new_year"\nfrom = "2031-13-01"\n');
  await ad.click('#cal-import');
  await ad.waitForSelector('#settings-result pre.err');
  await ad.fill('#cal-text', 'year = 2031\nsource = "测试"\n\n[[holiday]]\nfestival = "new_year"\nname = "元旦"\nfrom = "2031-01-01"\nto = "2031-01-01"\nmakeup_workdays = []\n');
  await ad.click('#cal-import');
  await ad.waitForFunction(() => document.getElementById('cal-years').textContent.includes('2031'));
  // Settings show what is saved: the pass mark, a team's hours and recipients.
  assert.equal(await ad.inputValue('#qa-pass-mark'), '80');
  await ad.fill('#qa-pass-mark', '90');
  await ad.click('#save-qa');
  await ad.waitForSelector('text=已保存');
  await ad.selectOption('#team-name', '一组');
  await ad.fill('#team-hours', '08:30-12:00,13:00-17:30');
  await ad.fill('#team-direct', 'wang.lead@example.com');
  await ad.click('text=保存收件人');
  await ad.waitForFunction(() => document.getElementById('team-saved').textContent.includes('wang.lead@example.com'));
  await ad.click('text=保存工作时间');
  await ad.waitForFunction(() => document.getElementById('team-saved').textContent.includes('08:30-12:00,13:00-17:30'));
  await ad.fill('#cw-url', 'https://chat.example.com');
  await ad.click('#save-chatwoot');
  await ad.waitForSelector('text=已保存');
  await shot(ad, 'settings');
  await ad.reload();
  await ad.waitForSelector('#qa-pass-mark');
  assert.equal(await ad.inputValue('#qa-pass-mark'), '90', 'saved values shown again');
  assert.equal(await ad.inputValue('#cw-url'), 'https://chat.example.com');

  // Accounts: an API token is shown once, listed with its expiry, and revoked.
  await ad.click('text=账号');
  await ad.waitForSelector('#tokens');
  await ad.fill('#token-name', 'Chatwoot 接入');
  await ad.fill('#token-days', '30');
  await ad.click('text=创建令牌');
  await ad.waitForSelector('#token-shown pre');
  assert.match(await ad.textContent('#token-shown pre'), /^kefu_[0-9a-f]{64}$/);
  await ad.waitForSelector('#tokens >> text=Chatwoot 接入');
  ad.once('dialog', (d) => d.accept());
  await ad.click('#tokens button.revoke-token');
  await ad.waitForSelector('#tokens >> text=已撤销');
  await shot(ad, 'accounts');

  // Accounts: a team typed with a trailing space is the existing team, not a new one; edit in place and deactivate.
  await ad.fill('#new-username', 'li.agent');
  await ad.fill('#new-display_name', '李娜');
  await ad.selectOption('#new-team', { label: '新建班组…' });
  await ad.fill('#new-team-new', '一组 ');
  await ad.fill('#new-agent_id', 'A0802');
  await ad.fill('#new-password', 'lina-pass-2026');
  await ad.click('#create-user');
  await ad.waitForSelector('#users tr[data-user="li.agent"]');
  const people = await call(admin, 'GET', '/api/v1/people');
  assert.deepEqual(people.teams, ['一组'], `no second team: ${people.teams}`);
  await ad.click('#users tr[data-user="li.agent"] button.edit-user');
  await ad.waitForSelector('#users tr.editing');
  await ad.fill('#users tr.editing input.edit-name', '李娜娜');
  await ad.selectOption('#users tr.editing select.edit-active', 'false');
  ad.once('dialog', (d) => d.accept());
  await ad.click('#users tr.editing button.save-user');
  await ad.waitForSelector('#users tr[data-user="li.agent"]:not(.editing) >> text=停用');
  assert.ok((await ad.textContent('#users tr[data-user="li.agent"]')).includes('李娜娜'));
  await shot(ad, 'accounts-edited');
  // Data in from the console: 1,000 conversations as JSON Lines with one
  // broken line; the broken line is reported by its number, the rest stored.
  const many = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ ...conversations[0], id: `up-${String(i).padStart(4, '0')}`, agent: { id: 'U0001', name: '导入坐席' } }));
  const broken = 437;
  many[broken - 1] = '{"id": "up-broken", "turns": [';
  const uploadFile = join(out, 'upload-1000.jsonl');
  writeFileSync(uploadFile, many.join('\n') + '\n');
  await ad.click('text=导入会话');
  await ad.waitForSelector('#upload-file');
  await ad.setInputFiles('#upload-file', uploadFile);
  await ad.click('#upload-go');
  await ad.waitForSelector('#upload-summary', { timeout: 120000 });
  results.upload = await ad.textContent('#upload-summary');
  assert.ok(results.upload.includes('共 1000 个会话') && results.upload.includes('已保存并质检 999 个') && results.upload.includes('1 个有错误'), results.upload);
  assert.equal(await ad.getAttribute('#upload-errors tbody tr', 'data-line'), String(broken));
  assert.ok((await ad.textContent('#upload-errors')).includes(`第 ${broken} 行`));
  await shot(ad, 'upload-summary');
  const found = await call(admin, 'GET', '/api/v1/conversations?agent=U0001&limit=1');
  assert.equal(found.total, 999, 'the rest are stored');
  // The sample workbook, uploaded as a centre's export would be.
  const sample = await fetch(`${base}/console/sample.xlsx`);
  const sampleFile = join(out, 'kefu-sample.xlsx');
  writeFileSync(sampleFile, Buffer.from(await sample.arrayBuffer()));
  await ad.setInputFiles('#upload-file', sampleFile);
  await ad.click('#upload-go');
  await ad.waitForFunction(() => document.getElementById('upload-summary')?.textContent.includes('共 3 个会话'));
  assert.ok((await ad.textContent('#upload-summary')).includes('已保存并质检 3 个'));
  await ad.click('#upload-to-scorecards');
  await ad.waitForSelector('#scorecards');

  // A check of the centre's own, written with the form (issue 13's example):
  // its TOML shown, validated as typed, previewed on stored calls, saved.
  await ad.click('#nav a >> text=质检项');
  await ad.waitForSelector('#check-form');
  await ad.fill('#ck-id', 'bank.verify_identity');
  await ad.fill('#ck-name', '办理业务前核实身份');
  await ad.fill('#ck-source', '本中心质检细则 2026 第 3 条');
  await ad.fill('#ck-logic', 'a && !b');
  await ad.selectOption('#ck-channel', 'phone');
  await ad.selectOption('#ck-conditions .condition >> nth=0 >> select.cond-op', 'scenario');
  await ad.fill('#ck-conditions .condition >> nth=0 >> textarea[data-key="scenarios"]', 'inquiry\ncomplaint');
  await ad.click('#ck-add-condition');
  const second = '#ck-conditions .condition >> nth=1';
  await ad.selectOption(`${second} >> select.cond-speaker`, 'agent');
  await ad.fill(`${second} >> textarea[data-key="any"]`, '核实一下您的身份\n验证一下您的身份');
  await ad.click(`${second} >> summary`);
  await ad.fill(`${second} >> input[data-key="first_turns"]`, '3');
  assert.ok((await ad.textContent('#ck-toml')).includes('position = { first_turns = 3 }'), 'the TOML follows the form');
  await ad.click('#ck-append');
  await ad.waitForSelector('#check-valid');
  // A typo in the file is named as it is typed.
  await ad.evaluate(() => { const t = document.getElementById('check-text'); t.value = t.value.replace('a && !b', 'a && !z'); t.dispatchEvent(new Event('input')); });
  await ad.waitForFunction(() => document.getElementById('check-errors')?.textContent.includes('不存在的条件“z”'));
  await ad.evaluate(() => { const t = document.getElementById('check-text'); t.value = t.value.replace('a && !z', 'a && !b'); t.dispatchEvent(new Event('input')); });
  await ad.waitForSelector('#check-valid');
  await ad.click('#check-preview-run');
  await ad.waitForSelector('#check-preview .preview-counts');
  results.checkPreview = await ad.textContent('#check-preview .preview-counts');
  assert.match(results.checkPreview, /不通过 \d+ · 通过 \d+ · 不适用 \d+/);
  await shot(ad, 'check-editor');
  await ad.click('#check-save');
  await ad.click('#confirm-check-save');
  await ad.waitForFunction(() => location.hash.includes('#/checks/inspection'));
  await ad.waitForSelector('#check-valid');

  // The supervisor changes their password: a weak one is refused with the reason, a good one taken.
  await lead.click('#change-password');
  await lead.waitForSelector('#pw-current');
  await lead.fill('#pw-current', 'wanglead-2026');
  await lead.fill('#pw-new', '1234567890');
  await lead.fill('#pw-repeat', '1234567890');
  await lead.click('#save-password');
  await lead.waitForFunction(() => document.getElementById('password-error').textContent.includes('常见'));
  results.passwordRefused = await lead.textContent('#password-error');
  await shot(lead, 'password-refused');
  await lead.fill('#pw-new', '王班长的新密码-2026');
  await lead.fill('#pw-repeat', '王班长的新密码-2026');
  await lead.click('#save-password');
  await lead.waitForSelector('#scorecards');
  assert.ok(await login('wang.lead', '王班长的新密码-2026'), 'the new password logs in');

  assert.deepEqual(errors, [], 'no errors in the page');
  console.log(JSON.stringify({ ok: true, shots, ...results }));
} catch (e) {
  // What every open page showed when it failed, for whoever reads the failure.
  for (const [i, p] of browser.contexts().flatMap((c) => c.pages()).entries()) await p.screenshot({ path: join(out, `failure-${i}.png`), fullPage: true }).catch(() => {});
  throw e;
} finally {
  await browser.close();
}
