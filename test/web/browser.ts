/**
 * Real Chromium for the web tests: Debian's /usr/bin/chromium driven by
 * playwright-core (never a downloaded browser), with SwiftShader giving
 * WebGPU on the CPU (see shared TESTING.md), and the app served by
 * scripts/serve-web.mjs. Console errors and page errors are collected.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader',
  '--disable-vulkan-surface', '--ignore-gpu-blocklist', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** Screenshots and downloads of the web tests (git-ignored). */
export const OUTPUT_DIR = path.resolve('test-output/web');

export interface App {
  browser: Browser;
  page: Page;
  url: string;
  /** console.error messages and uncaught page errors, in order. */
  errors: string[];
  close(): Promise<void>;
}

export async function openApp(): Promise<App> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium libvulkan1 (or set CHROMIUM_PATH)`);
  const build = await import(pathToFileURL(path.resolve('scripts/build-web.mjs')).href) as { buildWeb(): Promise<unknown> };
  await build.buildWeb();
  const serve = await import(pathToFileURL(path.resolve('scripts/serve-web.mjs')).href) as { startWebServer(o?: { port?: number }): Promise<{ url: string; close(): Promise<void> }> };
  const server = await serve.startWebServer();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless=new', ...CHROMIUM_FLAGS] });
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  await page.goto(server.url);
  await page.waitForFunction(() => window.treluApp?.ready === true, undefined, { timeout: 60_000 });
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  return {
    browser, page, url: server.url, errors,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
