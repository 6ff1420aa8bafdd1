// Whether tests of the native shell spawner run here: where a C compiler is installed the build
// must have made it (a missing one fails them); without a compiler they are skipped, saying why.
import { spawnSync } from 'node:child_process';
import { nativeSpawnerPath } from '../../src/runner/native-spawner.js';

const ccFound = spawnSync('cc', ['--version']).status === 0;

export const nativeSkip: false | string =
  ccFound || nativeSpawnerPath() ? false : 'no C compiler here: the native spawner is not built';
