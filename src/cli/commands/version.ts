// ktimer version: `Version X.Y.Z [YYYY.M]`.
import { PUBDATE, VERSION } from '../../version.js';
import type { CliContext } from '../context.js';

export async function run(ctx: CliContext): Promise<void> {
  ctx.print(`Version ${VERSION} [${PUBDATE}]`, { version: VERSION, pubdate: PUBDATE });
}
