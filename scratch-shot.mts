import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
const port = process.argv[2];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
for (const [w, hgt, tag] of [[1280, 800, 'desk'], [390, 844, 'phone']] as const) {
  const ctx = await browser.newContext({ viewport: { width: w, height: hgt } });
  const page = await ctx.newPage();
  page.on('console', (m) => console.log(`[${tag} console ${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => console.log(`[${tag} pageerror] ${e.message}`));
  await page.goto(`http://127.0.0.1:${port}/ui`);
  await page.getByLabel('Password').fill(process.argv[3] ?? 'adminsecret1');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Tasks' }).waitFor();
  await page.locator('tbody tr').first().waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: `/tmp/kt26/${tag}-tasks.png`, fullPage: true });
  await page.evaluate(readFileSync('/work/wt/dashboard/node_modules/axe-core/axe.min.js', 'utf8'));
  const res = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: () => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run();
    return r.violations.map((v) => `${v.impact} ${v.id} ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  console.log(tag, 'axe', res);
  const sw = await page.evaluate(() => document.documentElement.scrollWidth);
  console.log(tag, 'scrollWidth', sw);
  for (const hash of ['#/task/nightly', '#/fleet', '#/changes', '#/live', '#/runs', '#/tasks/new']) {
    await page.goto(`http://127.0.0.1:${port}/ui${hash}`);
    await page.waitForTimeout(1200);
    await page.screenshot({ path: `/tmp/kt26/${tag}-${hash.replace(/\W+/g, '_')}.png`, fullPage: true });
  }
  await ctx.close();
}
await browser.close();
