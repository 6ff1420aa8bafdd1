// Lint rules: typescript-eslint's strictTypeChecked set over src (type-aware), its recommended
// set over test, bench and scripts. Rules tuned or off are named below, each with its reason.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const shared = {
  'no-control-regex': 'off',
  // `const { a: _, ...rest } = x` leaves a field out: the rest is what is used.
  '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/node_modules/'] },
  js.configs.recommended,
  {
    files: ['src/**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      ...shared,
      // Numbers in messages are the norm here (`${ms} ms`); objects and undefined stay refused.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `() => void x()` in a callback says nothing more than `() => x()` does.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Off: `async` here marks a function that fulfils an async contract (a command's `run`, an
      // interface's method) without awaiting anything itself; the rule would force Promise.resolve.
      '@typescript-eslint/require-await': 'off',
      // A function a reader can hold in mind: about a screen (the "about 60 lines").
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.mjs'],
    extends: [...tseslint.configs.recommended],
    rules: shared,
  },
);
