// Opens an HTML file of kefu (the inspection report) in Debian's headless
// Chromium, takes a full-page screenshot and proves that the Chinese text was
// drawn with a real CJK font: Chromium's DevTools protocol reports, for a node,
// the platform fonts that actually rendered its glyphs, so a page that fell
// back to boxes (tofu) or to a Latin-only font fails here.
//
// usage: node report-screenshot.mjs REPORT.html OUT.png
// prints one JSON line: {"screenshot":…,"fonts":{…},"title":…}; exit 1 on failure.

import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import { statSync } from 'node:fs';

const [html, png] = process.argv.slice(2);
if (!html || !png) {
  console.error('usage: node report-screenshot.mjs REPORT.html OUT.png');
  process.exit(2);
}

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
// Flags for a closed network: no background connections, no first-run work.
const args = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const fail = (msg) => { console.error(`report-screenshot: ${msg}`); process.exitCode = 1; };

const browser = await chromium.launch({ executablePath, args, headless: true });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) external.push(r.url()); });
  await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
  const title = await page.title();

  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
  const fonts = {};
  // The heading, a chart label (SVG text) and a transcript line with a highlight.
  for (const selector of ['h1', 'h2', 'svg.chart text', 'ol.transcript .text', 'mark']) {
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    if (!nodeId) { fonts[selector] = null; continue; }
    const { fonts: used } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    fonts[selector] = used.map((f) => ({ family: f.familyName, glyphs: f.glyphCount }));
  }
  for (const [selector, used] of Object.entries(fonts)) {
    if (used === null) { fail(`no element matches ${selector}`); continue; }
    if (!used.some((f) => /CJK|Han Sans|Source Han|WenQuanYi/i.test(f.family) && f.glyphs > 0)) {
      fail(`${selector} was not drawn with a CJK font: ${JSON.stringify(used)}`);
    }
  }
  if (external.length) fail(`the report fetched something from outside the file: ${external.join(', ')}`);

  await page.screenshot({ path: png, fullPage: true });
  const size = statSync(png).size;
  if (size < 20_000) fail(`screenshot ${png} is suspiciously small (${size} bytes)`);
  console.log(JSON.stringify({ screenshot: png, bytes: size, title, fonts }));
} finally {
  await browser.close();
}
