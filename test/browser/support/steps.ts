import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

/** `artifacts/` at the repository root (git-ignored). */
const SCREENSHOTS = fileURLToPath(new URL('../../../artifacts/screenshots/', import.meta.url));

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/**
 * Runs a browser scenario as named steps. Each step leaves a screenshot of the page it acted on in
 * `artifacts/screenshots/<suite>/<nn>-<step>.png` (taken on failure too: it shows where it stopped),
 * and a failure names its step: `step 04 "alice signs out at app B": <the original message>`.
 */
export class Steps {
  #count = 0;
  readonly #dir: string;

  constructor(suite: string) {
    this.#dir = path.join(SCREENSHOTS, slug(suite));
  }

  /** Empties this suite's screenshot folder, so it only holds the last run. */
  async reset(): Promise<void> {
    await rm(this.#dir, { recursive: true, force: true });
    await mkdir(this.#dir, { recursive: true });
  }

  async run<T>(name: string, page: Page, action: () => Promise<T>): Promise<T> {
    const label = `step ${String(++this.#count).padStart(2, '0')} "${name}"`;
    const file = path.join(this.#dir, `${String(this.#count).padStart(2, '0')}-${slug(name)}.png`);
    try {
      const result = await action();
      await this.#screenshot(page, file);
      return result;
    } catch (error) {
      await this.#screenshot(page, file);
      if (error instanceof Error) {
        // The same error (chai's expected/actual kept), its message naming the step.
        // Mocha prints the stack, which holds the message as it was (V8 formats it on first read).
        const { message, stack } = error;
        error.message = `${label}: ${message}`;
        if (stack?.includes(message)) error.stack = stack.replace(message, error.message);
        throw error;
      }
      throw new Error(`${label}: ${String(error)}`);
    }
  }

  async #screenshot(page: Page, file: string): Promise<void> {
    // A missing screenshot must never hide the step's own result.
    await page.screenshot({ path: file, fullPage: true, timeout: 5000 }).catch(() => undefined);
  }
}
