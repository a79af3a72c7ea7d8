/**
 * Open a generated report in the system's headless Chromium (Debian `chromium`, driven by playwright-core; no
 * browser is downloaded) and say what rendered: per chart, its SVG's element count; every console error and
 * page error; every request that was not the file itself (a self-contained report makes none).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface RenderedPage {
  charts: Array<{ id: string; rendered: boolean; svgElements: number; paths: number; texts: number }>;
  tables: number[];
  headerText: string;
  consoleErrors: string[];
  foreignRequests: string[];
}

export async function renderInChromium(htmlFile: string, screenshot: string): Promise<RenderedPage> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (scripts/ensure-deps.sh --debian does)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleErrors: string[] = [];
    const foreignRequests: string[] = [];
    const url = pathToFileURL(htmlFile).href;
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
    await page.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue();
      foreignRequests.push(route.request().url());
      return route.abort();
    });
    await page.goto(url);
    // browser-side code as strings: this project compiles without the DOM library
    await page
      .waitForFunction(`[...document.querySelectorAll('.chart')].every((e) => e.dataset.rendered === '1')`, null, { timeout: 30000 })
      .catch((e: Error) => consoleErrors.push(`charts did not all finish rendering: ${e.message.split('\n')[0]}`));
    const charts = await page.evaluate<RenderedPage['charts']>(`[...document.querySelectorAll('.chart')].map((e) => ({
      id: e.id,
      rendered: e.dataset.rendered === '1',
      svgElements: e.querySelectorAll('svg *').length,
      paths: e.querySelectorAll('svg path').length,
      texts: e.querySelectorAll('svg text').length,
    }))`);
    const tables = await page.evaluate<number[]>(`[...document.querySelectorAll('table')].map((t) => t.querySelectorAll('tbody tr').length)`);
    const headerText = await page.evaluate<string>(`document.querySelector('dl.facts').innerText`);
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    return { charts, tables, headerText, consoleErrors, foreignRequests };
  } finally {
    await browser.close();
  }
}
