/**
 * Debian's Chromium, driven by playwright-core (never a downloaded browser), launched the way this
 * closed network needs: headless, no sandbox, no GPU, no background connections, a fresh profile
 * (its background requests otherwise stall). One place for the path, the skip reason and the flags.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";

/** Why browser tests cannot run here, or undefined when they can. */
export const chromiumMissing = existsSync(chromiumPath) ? undefined : `${chromiumPath} is missing (apt-get install chromium)`;

/** A headless Chromium with a fresh profile folder; `close()` closes it and removes the profile. */
export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<{
  context: BrowserContext;
  close(): Promise<void>;
}> {
  const profileDir = mkdtempSync(join(tmpdir(), "bmx-chromium-"));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    ...(options.viewport ? { viewport: options.viewport } : {}),
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
      "--disable-quic",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}
