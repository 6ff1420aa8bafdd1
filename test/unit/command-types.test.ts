// The compiler checks each command's module against the options commander declares for it
// (cli/command-action.ts). The @ts-expect-error lines below are checked by `npm run typecheck`
// (part of `npm run lint`): each must be an error, or the typecheck fails. The test itself runs a
// bound command, so the binding is exercised too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from '@commander-js/extra-typings';
import { bindAction } from '../../src/cli/command-action.js';
import type { CliContext } from '../../src/cli/context.js';

const declared = () =>
  new Command('x').exitOverride().option('--yes').option('--count <n>').option('-d, --daemon');

test('a module whose run reads what the command declares binds; one that reads more does not compile', async () => {
  let seen: unknown;
  const matching = async () => ({
    run: async (
      _ctx: CliContext,
      _words: string[],
      opts: { yes?: boolean; count?: string; daemon?: boolean },
    ) => {
      seen = opts;
    },
  });
  await bindAction(declared(), [], matching).parseAsync(['--yes', '--count', '3'], { from: 'user' });
  assert.deepEqual(seen, { yes: true, count: '3' });

  const readsATypo = async () => ({
    run: async (_ctx: CliContext, _words: string[], _opts: { yes?: boolean; cuont?: string }) => {},
  });
  // @ts-expect-error -- `cuont` is not an option of the command: a typo caught by the compiler
  bindAction(declared(), [], readsATypo);

  const wantsANumber = async () => ({
    run: async (_ctx: CliContext, _words: string[], _opts: { count?: number }) => {},
  });
  // @ts-expect-error -- commander gives --count as a string, the module wants a number
  bindAction(declared(), [], wantsANumber);
});
