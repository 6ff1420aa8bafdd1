// The dashboard's files (built by scripts/build.mjs into dist/bundle/ui), read once when the web
// API starts and served from memory with an ETag: a few tens of KiB, no CDN, works offline.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/**
 * The page may load its own script and style and talk to its own origin, nothing else: a task's
 * command or output shown on it can never run as code (the page also puts them in as text only).
 */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export class DashboardAssets {
  private readonly files = new Map<string, Asset>();
  /** Why the files are missing (the daemon runs from sources not built), or null. */
  readonly missing: string | null;

  constructor(dir: string) {
    let missing: string | null = null;
    for (const [name, type] of Object.entries(TYPES)) {
      try {
        const body = readFileSync(join(dir, name));
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
        this.files.set(name, { body, type, etag });
      } catch {
        missing = `the dashboard is not built (${join(dir, name)} is missing); run \`npm run build\``;
      }
    }
    this.missing = missing;
  }

  has(name: string): boolean {
    return this.files.has(name);
  }

  /** Answers with file `name` (a 304 when the browser has it already). */
  serve(name: string, req: IncomingMessage, res: ServerResponse): void {
    const asset = this.files.get(name);
    if (!asset) throw new Error(`no dashboard asset ${name}`);
    res.setHeader('content-type', asset.type);
    // Checked at each load (one small round trip): a new build is seen at once.
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('etag', asset.etag);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    if (name === 'index.html') {
      res.setHeader('content-security-policy', CSP);
      res.setHeader('x-frame-options', 'DENY');
    }
    if (req.headers['if-none-match'] === asset.etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.statusCode = 200;
    res.setHeader('content-length', asset.body.length);
    res.end(asset.body);
  }
}
