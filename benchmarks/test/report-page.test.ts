import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchBrowser } from '../../chromium.js';

/**
 * The committed results/report.html in a real browser (Debian's Chromium,
 * headless, from its file:// URL): every chart renders, with a bar per
 * configuration of the table beside it (a bar per size for the in-process
 * cases), and the page asks for nothing but itself and logs no error. The
 * screenshots go to a temporary folder, printed: the whole page, and its
 * first screen down to the first chart, which UPDATE_DOC_IMAGES=1 also copies
 * to docs/images/report.png for the README.
 */
const REPORT = pathToFileURL(fileURLToPath(new URL('../results/report.html', import.meta.url))).href;
const DOC_IMAGE = fileURLToPath(new URL('../../docs/images/report.png', import.meta.url));

/** What a chart's section shows: the chart's box, its bars (by the table row each draws) and the table's configurations. */
async function chartOf(section: Locator) {
  const svg = section.locator('svg.chart');
  const bars = await section.locator('svg.chart rect.bar').all();
  return {
    id: await section.getAttribute('id'),
    box: await svg.boundingBox(),
    series: Number(await svg.getAttribute('data-series')),
    barRows: await Promise.all(bars.map((bar) => bar.getAttribute('data-row'))),
    barWidths: await Promise.all(bars.map(async (bar) => (await bar.boundingBox())?.width ?? 0)),
    // The baselines' rows are the reference the chart's 1.0 line stands for, not bars.
    tableRows: await section.locator('tbody tr:not(.baseline) td:first-child').allTextContents(),
  };
}

describe.skipIf(chromiumMissing())('results/report.html in Chromium', () => {
  const shots = mkdtempSync(join(tmpdir(), 'authbench-report-page-'));
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    console.log(`report page: screenshots in ${shots}`);
  });

  it('draws every chart, a bar per configuration of its table, asking for nothing but the file and logging no error', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    try {
      const page = await context.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(String(error)));
      await page.goto(REPORT, { waitUntil: 'load' });

      expect(await page.locator('nav a').allTextContents()).toEqual([
        'Cost per scheme, with its spread',
        'Cost against 10³…10⁶ credentials',
        'SQLite vs PostgreSQL vs Redis',
        'Against what a team would use instead',
        'Two instances on one PostgreSQL (and Redis)',
        'Also in this run',
      ]);
      const charts = await Promise.all((await page.locator('section', { has: page.locator('svg.chart') }).all()).map(chartOf));
      expect(charts.map((c) => c.id)).toEqual(['cost', 'credentials', 'storage']);
      for (const chart of charts) {
        expect(chart.box?.width, chart.id!).toBeGreaterThan(600);
        expect(chart.box?.height, chart.id!).toBeGreaterThan(100);
        expect(chart.tableRows.length, chart.id!).toBeGreaterThan(0);
        expect(chart.barRows, chart.id!).toHaveLength(chart.tableRows.length * chart.series);
        expect([...new Set(chart.barRows)], chart.id!).toEqual(chart.tableRows);
        for (const width of chart.barWidths) expect(width, chart.id!).toBeGreaterThan(0);
      }
      expect(charts.map((c) => c.series)).toEqual([1, 3, 1]);

      expect(errors).toEqual([]);
      expect(requests).toEqual([REPORT]);

      await page.screenshot({ path: join(shots, 'report-full.png'), fullPage: true });
      // The README shows the page's head and its first chart: the whole page is several screens long.
      const firstChart = (await page.locator('#cost figure').boundingBox())!;
      const shot = join(shots, 'report.png');
      await page.screenshot({ path: shot, clip: { x: 0, y: 0, width: 1000, height: Math.ceil(firstChart.y + firstChart.height + 16) } });
      if (process.env['UPDATE_DOC_IMAGES'] === '1') {
        mkdirSync(join(DOC_IMAGE, '..'), { recursive: true });
        copyFileSync(shot, DOC_IMAGE);
      }
    } finally {
      await context.close();
    }
  });
});
